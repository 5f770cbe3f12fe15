"""Python poplib, the way a small script fetches a mailbox: APOP, then RETR every message
and write each to its own file. Used by tooling/bench/src/client-bench.mjs.

    python3 poplib-fetch.py HOST PORT USER SECRET OUT_DIR
"""
import os
import poplib
import sys

host, port, user, secret, out = sys.argv[1:6]
poplib._MAXLINE = 1 << 20  # the mailbox has 100,000-octet lines; the default is 2048
pop = poplib.POP3(host, int(port))
pop.apop(user, secret)
count, _ = pop.stat()
for n in range(1, count + 1):
    _, lines, _ = pop.retr(n)
    with open(os.path.join(out, f"{n}.eml"), "wb") as f:
        f.write(b"\r\n".join(lines) + b"\r\n")
pop.quit()
