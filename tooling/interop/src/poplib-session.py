"""One POP3 session with Python's standard poplib, driven by a JSON plan.

    python3 poplib-session.py '<plan as JSON>'

The plan: {"host", "port", "tls": "none" | "implicit", "cafile", "maxline", "out", "steps"}.
Each step is a list: ["capa"], ["stls"], ["user", name, password], ["apop", name, secret],
["stat"], ["list"], ["uidl"], ["top", n, lines], ["retr", n], ["dele", n], ["rset"],
["noop"], ["quit"]. The steps run in order; the first failure ends the session.

Prints one JSON object: the interpreter, the greeting, and one result per step. A
multi-line body is written to `out` as a file (retr-N.eml, top-N-L.eml): the lines poplib
returns (already unstuffed, line ends removed), each followed by CRLF, the line ends RFC 1939
puts on the wire. "octets" is poplib's own count of what arrived (line ends included,
stuffing not), so the two agree only when every line ended in CRLF.

TLS always verifies: a default context with the test CA as its only trust anchor, checking
the host name (poplib's own default context does not verify, cpython#91826).
"""

import json
import os
import poplib
import ssl
import sys


def context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def text(value):
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list):
        return [text(v) for v in value]
    if isinstance(value, tuple):
        return [text(v) for v in value]
    return value


def save(out, name, lines):
    path = os.path.join(out, name)
    with open(path, "wb") as handle:
        for line in lines:
            handle.write(line)
            handle.write(b"\r\n")
    return path


def main():
    plan = json.loads(sys.argv[1])
    if plan.get("maxline") is not None:
        # poplib refuses lines over _MAXLINE (2048 octets, the CVE-2013-1752 fix). getmail6
        # raises it to 1 MiB the same way; a plan without "maxline" keeps the default.
        poplib._MAXLINE = plan["maxline"]
    report = {
        "python": sys.executable,
        "version": sys.version.split()[0],
        "maxline": poplib._MAXLINE,
        "steps": [],
    }
    out = plan.get("out")
    try:
        if plan["tls"] == "implicit":
            conn = poplib.POP3_SSL(plan["host"], plan["port"], context=context(plan["cafile"]), timeout=60)
        else:
            conn = poplib.POP3(plan["host"], plan["port"], timeout=60)
    except Exception as error:  # noqa: BLE001 - reported, not handled
        report["connect_error"] = "%s: %s" % (type(error).__name__, error)
        print(json.dumps(report))
        return
    report["greeting"] = text(conn.getwelcome())
    for step in plan["steps"]:
        name = step[0]
        entry = {"step": step if name not in ("user", "apop") else [name, step[1], "***"]}
        report["steps"].append(entry)
        try:
            if name == "capa":
                entry["value"] = {k: text(v) for k, v in conn.capa().items()}
            elif name == "stls":
                entry["value"] = text(conn.stls(context=context(plan["cafile"])))
            elif name == "user":
                entry["value"] = [text(conn.user(step[1])), text(conn.pass_(step[2]))]
            elif name == "apop":
                entry["value"] = text(conn.apop(step[1], step[2]))
            elif name == "stat":
                entry["value"] = list(conn.stat())
            elif name == "list":
                response, lines, octets = conn.list()
                entry["value"] = {"response": text(response), "lines": text(lines)}
            elif name == "uidl":
                response, lines, octets = conn.uidl()
                entry["value"] = {"response": text(response), "lines": text(lines)}
            elif name == "top":
                response, lines, octets = conn.top(step[1], step[2])
                path = save(out, "top-%d-%d.eml" % (step[1], step[2]), lines)
                entry["value"] = {"response": text(response), "octets": octets, "file": path}
            elif name == "retr":
                response, lines, octets = conn.retr(step[1])
                path = save(out, "retr-%d.eml" % step[1], lines)
                entry["value"] = {"response": text(response), "octets": octets, "file": path}
            elif name == "dele":
                entry["value"] = text(conn.dele(step[1]))
            elif name == "rset":
                entry["value"] = text(conn.rset())
            elif name == "noop":
                entry["value"] = text(conn.noop())
            elif name == "quit":
                entry["value"] = text(conn.quit())
            else:
                raise ValueError("unknown step %r" % name)
        except Exception as error:  # noqa: BLE001 - reported, not handled
            entry["error"] = "%s: %s" % (type(error).__name__, error)
            break
    print(json.dumps(report))


main()
