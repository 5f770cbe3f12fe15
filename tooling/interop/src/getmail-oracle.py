"""What getmail6 writes into a Maildir for given POP3 messages: getmail's own code as the oracle.

    /usr/bin/python3 getmail-oracle.py IN OUT [IN OUT ...]

Each IN holds a message as RFC 1939 says it arrives (CRLF line ends, unstuffed). getmail's
SimplePOP3Retriever takes the lines poplib returns for RETR (line ends removed) and builds
`Message(fromlines=lines + [b''])`; its Maildir destination writes `msg.flatten(delivered_to,
received)`. This script does exactly that with getmailcore's Message class, with
delivered_to and received off (as in the getmailrc the harness writes), and saves the result
to OUT. Run with Debian's /usr/bin/python3, the interpreter getmail itself runs on.
"""

import sys

from getmailcore.message import Message

args = sys.argv[1:]
for source, target in zip(args[0::2], args[1::2]):
    with open(source, "rb") as handle:
        wire = handle.read()
    lines = wire.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    message = Message(fromlines=lines + [b""])
    with open(target, "wb") as handle:
        handle.write(message.flatten(False, False))
