/**
 * The server's protocol matrix, grouped by RFC section, driving `ServerSession` directly with
 * a synchronous host (helpers/server-harness.ts).
 */
import { describe, expect, it } from "vitest";
import {
  apopDigest,
  LocalProtocolError,
  type SaslServerMechanism,
  ServerSession,
} from "../src/index.ts";
import { hmacMd5, MIN_IDLE_TIMEOUT_MS, toHex } from "../src/internal.ts";
import {
  ACCOUNTS,
  b64,
  DEFAULT_POLICY,
  lines,
  MESSAGES,
  RFC_DIGEST,
  RFC_TIMESTAMP,
  ServerHarness,
  text,
} from "./helpers/server-harness.ts";

/** A harness already in TRANSACTION, with its greeting and login output taken. */
function loggedIn(options: ConstructorParameters<typeof ServerHarness>[0] = {}): ServerHarness {
  const harness = new ServerHarness(options);
  harness.output();
  expect(harness.login()).toMatch(/^\+OK /);
  expect(harness.session.state).toBe("TRANSACTION");
  return harness;
}

function fresh(options: ConstructorParameters<typeof ServerHarness>[0] = {}): ServerHarness {
  const harness = new ServerHarness(options);
  harness.output();
  return harness;
}

const sizes = (): number[] => new ServerHarness().maildrop().map((m) => m.size);
const total = (): number => sizes().reduce((a, b) => a + b, 0);

/** A token mechanism such as OAUTHBEARER: one long response, no password in clear. */
const tokenMechanism: SaslServerMechanism = {
  name: "X-TOKEN",
  sendsPlaintextPassword: false,
  start() {
    let started = false;
    return {
      step(response) {
        if (response === null && !started) {
          started = true;
          return { type: "challenge", data: new Uint8Array(0) };
        }
        if (response === null) return { type: "failure", reason: "no token" };
        return {
          type: "success",
          user: "alice",
          proof: { kind: "password", password: ACCOUNTS.alice as string },
        };
      },
    };
  },
};

const TRANSACTION_COMMANDS = [
  "STAT",
  "LIST",
  "LIST 1",
  "RETR 1",
  "DELE 1",
  "NOOP",
  "RSET",
  "TOP 1 0",
  "UIDL",
  "UIDL 1",
];

describe("RFC 1939 section 4 AUTHORIZATION", () => {
  it("greets with +OK and the APOP timestamp", () => {
    const harness = new ServerHarness();
    expect(harness.output()).toBe(`+OK POP3 server ready ${RFC_TIMESTAMP}\r\n`);
    expect(harness.session.state).toBe("AUTHORIZATION");
    expect(harness.session.timestamp).toBe(RFC_TIMESTAMP);
  });

  it("makes a fresh timestamp from the clock and random bytes when none is given", () => {
    const harness = new ServerHarness({ randomTimestamp: true, now: 1234 });
    expect(harness.session.timestamp).toBe(`<1234.${"ab".repeat(16)}@pop.example>`);
    expect(harness.output()).toBe(`+OK POP3 server ready ${harness.session.timestamp}\r\n`);
  });

  it("leaves the timestamp out when APOP is not offered, and uses the policy's greeting", () => {
    const harness = new ServerHarness({ policy: { apop: false, greeting: "Hello" } });
    expect(harness.output()).toBe("+OK Hello\r\n");
    expect(harness.session.timestamp).toBeNull();
  });

  it.each(TRANSACTION_COMMANDS)("refuses %s before authentication, and stays usable", (command) => {
    const harness = fresh();
    const mark = harness.events.length;
    const keyword = command.split(" ")[0];
    expect(harness.send(`${command}\r\n`)).toBe(
      `-ERR ${keyword} is not valid in the AUTHORIZATION state\r\n`,
    );
    expect(harness.since(mark)).toContainEqual({ type: "command-rejected", reason: "wrong state" });
    expect(harness.session.state).toBe("AUTHORIZATION");
    expect(harness.send("CAPA\r\n")).toMatch(/^\+OK /);
    expect(harness.login()).toMatch(/^\+OK Logged in/);
  });

  it("logs in with USER then PASS", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send("USER mrose\r\n")).toBe("+OK Send PASS\r\n");
    expect(harness.send("PASS tanstaaf\r\n")).toBe(
      `+OK Logged in, 3 messages (${total()} octets)\r\n`,
    );
    expect(harness.session.state).toBe("TRANSACTION");
    expect(harness.since(mark)).toContainEqual({
      type: "login-requested",
      user: "mrose",
      mechanism: "USER",
      proof: { kind: "password", password: "tanstaaf" },
    });
  });

  it("passes a password with spaces through verbatim", () => {
    const harness = fresh();
    harness.send("USER alice\r\n");
    expect(harness.send("PASS wonder land\r\n")).toMatch(/^\+OK Logged in/);
  });

  it("says 1 message, not 1 messages", () => {
    const harness = fresh({ messages: ["x\r\n"] });
    expect(harness.login()).toBe("+OK Logged in, 1 message (3 octets)\r\n");
  });

  it("reports commands with their secrets redacted", () => {
    const harness = fresh();
    const mark = harness.events.length;
    harness.login();
    harness.send(`APOP mrose ${RFC_DIGEST}\r\n`);
    const received = harness
      .since(mark)
      .flatMap((event) => (event.type === "command-received" ? [event.text] : []));
    expect(received).toEqual(["USER mrose", "PASS ***", "APOP mrose ***"]);
  });

  it("refuses PASS without USER", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send("PASS tanstaaf\r\n")).toBe("-ERR No username given, send USER first\r\n");
    expect(harness.since(mark)).not.toContainEqual(
      expect.objectContaining({ type: "login-requested" }),
    );
    expect(harness.session.state).toBe("AUTHORIZATION");
  });

  it("needs a new USER after a failed PASS", () => {
    const harness = fresh();
    harness.send("USER mrose\r\n");
    expect(harness.send("PASS wrong\r\n")).toBe("-ERR [AUTH] Authentication failed\r\n");
    expect(harness.send("PASS tanstaaf\r\n")).toBe("-ERR No username given, send USER first\r\n");
    expect(harness.login()).toMatch(/^\+OK Logged in/);
  });

  it("answers USER the same for every name, so USER reveals no accounts (RFC 1939 section 13)", () => {
    const answers = ["mrose", "nobody", "x".repeat(40), "r\u00f6se"].map((name) =>
      fresh().send(new TextEncoder().encode(`USER ${name}\r\n`)),
    );
    expect(new Set(answers)).toEqual(new Set(["+OK Send PASS\r\n"]));
  });

  it("answers a wrong password and an unknown user the same way", () => {
    const wrong = fresh();
    wrong.send("USER mrose\r\n");
    const unknown = fresh();
    unknown.send("USER nobody\r\n");
    expect(wrong.send("PASS nope\r\n")).toBe(unknown.send("PASS nope\r\n"));
  });

  describe("without TLS and without allowPlaintextAuth (RFC 2595 section 2.3)", () => {
    const policy = { ...DEFAULT_POLICY, allowPlaintextAuth: false };
    const refusal = "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections\r\n";

    it.each([
      "USER mrose",
      "USER nobody",
      "PASS tanstaaf",
      `AUTH PLAIN ${b64("\u0000mrose\u0000tanstaaf")}`,
      `AUTH PLAIN ${b64("\u0000nobody\u0000x")}`,
      "AUTH PLAIN",
      "AUTH LOGIN",
      "auth login",
    ])("refuses %s with -ERR [AUTH], the same for every name", (command) => {
      const harness = fresh({ policy });
      const mark = harness.events.length;
      expect(harness.send(`${command}\r\n`)).toBe(refusal);
      expect(harness.since(mark)).toContainEqual({
        type: "command-rejected",
        reason: "plaintext authentication disallowed",
      });
      expect(harness.session.state).toBe("AUTHORIZATION");
    });

    it("still allows APOP and CRAM-MD5, which send no password", () => {
      expect(fresh({ policy }).send(`APOP mrose ${RFC_DIGEST}\r\n`)).toMatch(/^\+OK Logged in/);
      expect(fresh({ policy }).send("AUTH CRAM-MD5\r\n")).toMatch(/^\+ /);
    });

    it("allows USER/PASS once TLS is active (implicit TLS)", () => {
      const harness = fresh({ policy, tlsActive: true });
      expect(harness.session.tlsActive).toBe(true);
      expect(harness.login()).toMatch(/^\+OK Logged in/);
    });
  });

  it("logs in with APOP and RFC 1939's example digest", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send(`APOP mrose ${RFC_DIGEST}\r\n`)).toMatch(/^\+OK Logged in/);
    expect(harness.since(mark)).toContainEqual({
      type: "login-requested",
      user: "mrose",
      mechanism: "APOP",
      proof: { kind: "apop", timestamp: RFC_TIMESTAMP, digest: RFC_DIGEST },
    });
  });

  it("accepts an upper-case APOP digest and hands it on in lower case", () => {
    const harness = fresh();
    expect(harness.send(`APOP mrose ${RFC_DIGEST.toUpperCase()}\r\n`)).toMatch(/^\+OK Logged in/);
  });

  it("refuses a wrong APOP digest with -ERR [AUTH]", () => {
    const harness = fresh();
    const digest = apopDigest({ timestamp: RFC_TIMESTAMP, secret: "wrong" });
    expect(harness.send(`APOP mrose ${digest}\r\n`)).toBe("-ERR [AUTH] Authentication failed\r\n");
    expect(harness.session.state).toBe("AUTHORIZATION");
  });

  it("refuses APOP when the greeting offered no timestamp", () => {
    const harness = fresh({ policy: { ...DEFAULT_POLICY, apop: false } });
    const mark = harness.events.length;
    expect(harness.send(`APOP mrose ${RFC_DIGEST}\r\n`)).toBe("-ERR APOP is not available\r\n");
    expect(harness.since(mark).map((e) => e.type)).not.toContain("login-requested");
  });

  it("closes on QUIT in AUTHORIZATION without UPDATE", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send("QUIT\r\n")).toBe("+OK POP3 server signing off\r\n");
    expect(harness.session.state).toBe("CLOSED");
    expect(harness.since(mark).map((e) => e.type)).toEqual(["command-received", "session-closed"]);
    expect(harness.since(mark).at(-1)).toEqual({ type: "session-closed", reason: "quit" });
  });

  it.each([
    ["in-use", "-ERR [IN-USE] Maildrop is locked by another POP3 session"],
    ["sys-temp", "-ERR [SYS/TEMP] Temporary server failure, try again later"],
    ["sys-perm", "-ERR [SYS/PERM] Maildrop unavailable"],
    ["login-delay", "-ERR [LOGIN-DELAY] Logged in too recently, try again later"],
    ["auth", "-ERR [AUTH] Authentication failed"],
  ] as const)("maps a %s login failure to its response code", (reason, line) => {
    const harness = fresh({ login: () => ({ ok: false, reason }) });
    harness.send("USER mrose\r\n");
    expect(harness.send("PASS tanstaaf\r\n")).toBe(`${line}\r\n`);
    expect(harness.session.state).toBe("AUTHORIZATION");
    expect(fresh({ login: () => ({ ok: false, reason, text: "custom" }) }).login()).toMatch(
      /\] custom\r\n$/,
    );
  });

  it("does not count a locked maildrop as an authentication failure", () => {
    const harness = fresh({ login: () => ({ ok: false, reason: "in-use" }) });
    for (let attempt = 0; attempt < 5; attempt++) {
      expect(harness.login()).toMatch(/^-ERR \[IN-USE\]/);
    }
    expect(harness.session.state).toBe("AUTHORIZATION");
  });
});

describe("RFC 1939 section 5 TRANSACTION", () => {
  it("answers STAT with the count and size", () => {
    expect(loggedIn().send("STAT\r\n")).toBe(`+OK 3 ${total()}\r\n`);
  });

  it("lists every message, and one message on one line", () => {
    const harness = loggedIn();
    const [a, b, c] = sizes();
    expect(harness.send("LIST\r\n")).toBe(
      `+OK 3 messages (${total()} octets)\r\n1 ${a}\r\n2 ${b}\r\n3 ${c}\r\n.\r\n`,
    );
    expect(harness.send("LIST 2\r\n")).toBe(`+OK 2 ${b}\r\n`);
  });

  it("sends a message dot-stuffed with RETR", () => {
    const harness = loggedIn();
    const mark = harness.events.length;
    expect(harness.send("RETR 2\r\n")).toBe(
      `+OK ${sizes()[1]} octets\r\n${(MESSAGES[1] as string).replace("\r\n.dot", "\r\n..dot")}.\r\n`,
    );
    expect(harness.since(mark)).toContainEqual({ type: "message-requested", index: 1, message: 2 });
  });

  it.each([
    ["LIST 4", "-ERR There is no message 4, only 3"],
    ["RETR 4", "-ERR There is no message 4, only 3"],
    ["DELE 4", "-ERR There is no message 4, only 3"],
    ["TOP 4 0", "-ERR There is no message 4, only 3"],
    ["UIDL 4", "-ERR There is no message 4, only 3"],
    ["RETR 2147483647", "-ERR There is no message 2147483647, only 3"],
    ["RETR 0", "-ERR Invalid message number: 0"],
    ["LIST 0", "-ERR Invalid message number: 0"],
    ["RETR -1", "-ERR Invalid message number: -1"],
  ])("refuses %s", (command, reply) => {
    const harness = loggedIn();
    expect(harness.send(`${command}\r\n`)).toBe(`${reply}\r\n`);
    expect(harness.send("NOOP\r\n")).toBe("+OK Nothing to do\r\n");
  });

  it.each(["LIST 1", "RETR 1", "DELE 1", "TOP 1 0", "UIDL 1"])(
    "refuses %s for a deleted message",
    (command) => {
      const harness = loggedIn();
      expect(harness.send("DELE 1\r\n")).toBe("+OK Message 1 deleted\r\n");
      const mark = harness.events.length;
      expect(harness.send(`${command}\r\n`)).toBe("-ERR Message 1 is deleted\r\n");
      expect(harness.since(mark)).toContainEqual({
        type: "command-rejected",
        reason: "message deleted",
      });
    },
  );

  it("refuses DELE of a message already deleted", () => {
    const harness = loggedIn();
    harness.send("DELE 2\r\n");
    expect(harness.send("DELE 2\r\n")).toBe("-ERR Message 2 is deleted\r\n");
  });

  it("leaves deleted messages out of STAT, LIST and UIDL", () => {
    const harness = loggedIn();
    const [a, , c] = sizes() as [number, number, number];
    harness.send("DELE 2\r\n");
    expect(harness.send("STAT\r\n")).toBe(`+OK 2 ${a + c}\r\n`);
    expect(harness.send("LIST\r\n")).toBe(
      `+OK 2 messages (${a + c} octets)\r\n1 ${a}\r\n3 ${c}\r\n.\r\n`,
    );
    expect(harness.send("UIDL\r\n")).toBe(
      "+OK Unique-ID listing follows\r\n1 uid-1\r\n3 uid-3\r\n.\r\n",
    );
  });

  it("keeps message numbers fixed after a DELE (RFC 1939 section 5)", () => {
    const harness = loggedIn();
    harness.send("DELE 1\r\n");
    expect(harness.send("LIST 3\r\n")).toBe(`+OK 3 ${sizes()[2]}\r\n`);
  });

  it("unmarks every deletion with RSET", () => {
    const harness = loggedIn();
    harness.send("DELE 1\r\nDELE 3\r\n");
    expect(harness.send("RSET\r\n")).toBe(`+OK Maildrop has 3 messages (${total()} octets)\r\n`);
    expect(harness.send("STAT\r\n")).toBe(`+OK 3 ${total()}\r\n`);
    expect(harness.send("RETR 1\r\n")).toMatch(/^\+OK /);
  });

  it("answers NOOP with +OK", () => {
    expect(loggedIn().send("NOOP\r\n")).toBe("+OK Nothing to do\r\n");
  });

  it.each([
    "USER mrose",
    "PASS tanstaaf",
    `APOP mrose ${RFC_DIGEST}`,
    "AUTH PLAIN",
    "AUTH",
    "STLS",
    "UTF8",
  ])("refuses %s after login, and stays usable", (command) => {
    const harness = loggedIn({ policy: { ...DEFAULT_POLICY, tlsAvailable: true } });
    const keyword = command.split(" ")[0];
    expect(harness.send(`${command}\r\n`)).toBe(
      `-ERR ${keyword} is not valid in the TRANSACTION state\r\n`,
    );
    expect(harness.session.state).toBe("TRANSACTION");
    expect(harness.send("STAT\r\n")).toMatch(/^\+OK 3 /);
  });

  it("serves an empty maildrop", () => {
    const harness = loggedIn({ messages: [] });
    expect(harness.send("STAT\r\n")).toBe("+OK 0 0\r\n");
    expect(harness.send("LIST\r\n")).toBe("+OK 0 messages (0 octets)\r\n.\r\n");
    expect(harness.send("RETR 1\r\n")).toBe("-ERR There is no message 1, only 0\r\n");
  });
});

describe("RFC 1939 section 6 UPDATE", () => {
  it("requests UPDATE on QUIT with the 0-based indexes of the deleted messages, in order", () => {
    const harness = loggedIn({ manual: ["update"] });
    harness.send("DELE 3\r\nDELE 1\r\n");
    const mark = harness.events.length;
    expect(harness.send("QUIT\r\n")).toBe("");
    expect(harness.since(mark)).toContainEqual({ type: "update-requested", deleted: [0, 2] });
    expect(harness.session.state).toBe("UPDATE");
    expect(harness.session.nextDeadline()).toBeNull();
    expect(harness.session.completeUpdate({ ok: true })).toEqual([
      { type: "session-closed", reason: "quit" },
    ]);
    expect(harness.output()).toBe("+OK POP3 server signing off (1 message left)\r\n");
    expect(harness.session.state).toBe("CLOSED");
  });

  it("requests UPDATE with nothing to delete after RSET", () => {
    const harness = loggedIn({ manual: ["update"] });
    harness.send("DELE 1\r\nRSET\r\n");
    const mark = harness.events.length;
    harness.send("QUIT\r\n");
    expect(harness.since(mark)).toContainEqual({ type: "update-requested", deleted: [] });
    harness.handle(harness.session.completeUpdate({ ok: true }));
    expect(harness.output()).toBe("+OK POP3 server signing off (3 messages left)\r\n");
  });

  it("answers -ERR [SYS/TEMP] when the deletes fail, and closes", () => {
    const harness = loggedIn({ manual: ["update"] });
    harness.send("DELE 1\r\nQUIT\r\n");
    expect(harness.session.completeUpdate({ ok: false })).toEqual([
      { type: "session-closed", reason: "quit" },
    ]);
    expect(harness.output()).toBe("-ERR [SYS/TEMP] Some deleted messages not removed\r\n");
    const other = loggedIn({ manual: ["update"] });
    other.send("QUIT\r\n");
    other.session.completeUpdate({ ok: false, text: "disk full" });
    expect(other.output()).toBe("-ERR [SYS/TEMP] disk full\r\n");
  });

  it("does not read input behind QUIT", () => {
    const harness = loggedIn();
    expect(lines(harness.send("QUIT\r\nNOOP\r\nSTAT\r\n"))).toEqual([
      "+OK POP3 server signing off (3 messages left)",
    ]);
    expect(harness.send("NOOP\r\n")).toBe("");
  });

  it("closes on EOF with peer-closed and without UPDATE, deletions marked or not", () => {
    const harness = loggedIn();
    harness.send("DELE 1\r\n");
    const mark = harness.events.length;
    expect(harness.send(new Uint8Array(0))).toBe("");
    expect(harness.since(mark)).toEqual([{ type: "session-closed", reason: "peer-closed" }]);
    expect(harness.session.state).toBe("CLOSED");
    expect(harness.session.receive(new Uint8Array(0), 0)).toEqual([]);
  });

  it("closes on EOF in AUTHORIZATION too", () => {
    const harness = fresh();
    expect(harness.session.receive(new Uint8Array(0), 0)).toEqual([
      { type: "session-closed", reason: "peer-closed" },
    ]);
    expect(harness.session.wantsInput).toBe(false);
  });
});

describe("RFC 1939 section 7 optional commands", () => {
  it("sends only the headers and the blank line for TOP n 0", () => {
    const harness = loggedIn();
    const mark = harness.events.length;
    expect(harness.send("TOP 2 0\r\n")).toBe(
      "+OK Top of message follows\r\nSubject: two\r\nFrom: b@example.org\r\n\r\n.\r\n",
    );
    expect(harness.since(mark)).toContainEqual({
      type: "message-requested",
      index: 1,
      message: 2,
      lines: 0,
    });
  });

  it("sends the first n body lines for TOP, dot-stuffed, and tells the host to stop", () => {
    const harness = loggedIn({ manual: ["body"] });
    harness.send("TOP 2 2\r\n");
    expect(harness.session.wantsBody).toBe(true);
    const more = harness.session.sendBody(new TextEncoder().encode(MESSAGES[1]));
    expect(more).toBe(false);
    expect(harness.session.wantsBody).toBe(false);
    expect(harness.session.sendBody(new TextEncoder().encode("ignored\r\n"))).toBe(false);
    harness.handle(harness.session.endBody(0));
    expect(harness.output()).toBe(
      "+OK Top of message follows\r\nSubject: two\r\nFrom: b@example.org\r\n\r\nline 1\r\n..dot\r\n.\r\n",
    );
  });

  it("with reuseBodyBuffer, encodes RETR's large chunks into one buffer and keeps a chunk not yet taken", () => {
    const harness = loggedIn({ manual: ["body"], reuseBodyBuffer: true });
    harness.send("RETR 1\r\n");
    const line = (char: string) => `${char.repeat(8191)}\n`;
    const chunk = (char: string) => new TextEncoder().encode(line(char));
    const wire = (char: string) => `${char.repeat(8191)}\r\n`;
    // Taken after each chunk, as serveConnection does: the same memory, right each time.
    harness.session.sendBody(chunk("a"));
    const [status, first] = harness.session.takeOutput();
    expect(text(status as Uint8Array)).toMatch(/^\+OK /);
    expect(text(first as Uint8Array)).toBe(wire("a"));
    harness.session.sendBody(chunk("b"));
    const [second] = harness.session.takeOutput();
    expect(text(second as Uint8Array)).toBe(wire("b"));
    expect((second as Uint8Array).buffer).toBe((first as Uint8Array).buffer);
    // Two chunks before the host takes them: the first is copied before the buffer is reused.
    harness.session.sendBody(chunk("c"));
    harness.session.sendBody(chunk("d"));
    harness.handle(harness.session.endBody(0));
    expect(harness.output()).toBe(`${wire("c")}${wire("d")}.\r\n`);
  });

  it("sends the whole message when TOP asks for more lines than it has", () => {
    const harness = loggedIn();
    expect(harness.send("TOP 1 100\r\n")).toBe(`+OK Top of message follows\r\n${MESSAGES[0]}.\r\n`);
  });

  it("lists unique-ids, and one on one line", () => {
    const harness = loggedIn();
    expect(harness.send("UIDL\r\n")).toBe(
      "+OK Unique-ID listing follows\r\n1 uid-1\r\n2 uid-2\r\n3 uid-3\r\n.\r\n",
    );
    expect(harness.send("UIDL 3\r\n")).toBe("+OK 3 uid-3\r\n");
  });

  it("dot-stuffs listing lines that start with a dot", () => {
    const harness = fresh({
      login: () => ({ ok: true, messages: [{ size: 1, uid: ".hidden" }] }),
    });
    harness.login();
    expect(harness.send("UIDL\r\n")).toBe("+OK Unique-ID listing follows\r\n1 .hidden\r\n.\r\n");
  });
});

describe("RFC 2449 CAPA and response codes", () => {
  const tags = (output: string): string[] => lines(output).slice(1, -1);

  it("lists what is on offer before login, in plaintext, with no policy extras", () => {
    const harness = fresh({ policy: { allowPlaintextAuth: false } });
    expect(harness.send("CAPA\r\n")).toBe(
      "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nUTF8 USER\r\nLANG\r\n.\r\n",
    );
  });

  it("lists USER and the password mechanisms only where plaintext logins are allowed", () => {
    const closed = tags(
      fresh({ policy: { ...DEFAULT_POLICY, allowPlaintextAuth: false } }).send("CAPA\r\n"),
    );
    expect(closed).not.toContain("USER");
    expect(closed).toContain("SASL CRAM-MD5");
    const open = tags(fresh().send("CAPA\r\n"));
    expect(open).toContain("USER");
    expect(open).toContain("SASL PLAIN LOGIN CRAM-MD5");
  });

  it("leaves out USER, SASL, STLS and UTF8 after login", () => {
    const harness = loggedIn({ policy: { ...DEFAULT_POLICY, tlsAvailable: true } });
    expect(tags(harness.send("CAPA\r\n"))).toEqual([
      "TOP",
      "UIDL",
      "RESP-CODES",
      "AUTH-RESP-CODE",
      "PIPELINING",
      "LANG",
    ]);
  });

  it("lists IMPLEMENTATION, EXPIRE and LOGIN-DELAY from the policy, before and after login", () => {
    const policy = {
      ...DEFAULT_POLICY,
      implementation: "apop-test",
      expire: "NEVER",
      loginDelay: 900,
      pipelining: false,
    };
    for (const harness of [fresh({ policy }), loggedIn({ policy })]) {
      const listed = tags(harness.send("CAPA\r\n"));
      expect(listed).toEqual(
        expect.arrayContaining(["IMPLEMENTATION apop-test", "EXPIRE NEVER", "LOGIN-DELAY 900"]),
      );
      expect(listed).not.toContain("PIPELINING");
    }
  });

  it("gives the same list through capabilities()", () => {
    const harness = fresh();
    const listed = tags(harness.send("CAPA\r\n"));
    expect(
      [...harness.session.capabilities()].map(([tag, args]) => [tag, ...args].join(" ")),
    ).toEqual(listed);
  });

  it("answers pipelined commands in one chunk in order (RFC 2449 section 6.6)", () => {
    const harness = fresh();
    const output = harness.send(
      "USER mrose\r\nPASS tanstaaf\r\nSTAT\r\nLIST 1\r\nUIDL 2\r\nQUIT\r\n",
    );
    expect(lines(output)).toEqual([
      "+OK Send PASS",
      `+OK Logged in, 3 messages (${total()} octets)`,
      `+OK 3 ${total()}`,
      `+OK 1 ${sizes()[0]}`,
      "+OK 2 uid-2",
      "+OK POP3 server signing off (3 messages left)",
    ]);
  });

  it("holds commands queued behind a pending login and answers them after it", () => {
    const harness = fresh({ manual: ["login"] });
    const output = harness.send(`APOP mrose ${RFC_DIGEST}\r\nSTAT\r\nNOOP\r\n`);
    expect(output).toBe("");
    expect(harness.session.bufferedInput).toBe("STAT\r\nNOOP\r\n".length);
    expect(harness.session.nextDeadline()).toBeNull();
    expect(harness.send("LIST 3\r\n")).toBe("");
    harness.handle(harness.session.completeLogin({ ok: true, messages: harness.maildrop() }, 5));
    expect(lines(harness.output())).toEqual([
      `+OK Logged in, 3 messages (${total()} octets)`,
      `+OK 3 ${total()}`,
      "+OK Nothing to do",
      `+OK 3 ${sizes()[2]}`,
    ]);
    expect(harness.session.bufferedInput).toBe(0);
  });

  it("answers a SASL exchange pipelined with the commands behind it", () => {
    const harness = fresh();
    const output = harness.send(
      `AUTH PLAIN\r\n${b64("\u0000mrose\u0000tanstaaf")}\r\nSTAT\r\nUIDL 1\r\n`,
    );
    expect(lines(output)).toEqual([
      "+ ",
      `+OK Logged in, 3 messages (${total()} octets)`,
      `+OK 3 ${total()}`,
      "+OK 1 uid-1",
    ]);
  });

  it("runs queued commands in AUTHORIZATION after a failed login", () => {
    const harness = fresh({ manual: ["login"] });
    expect(harness.send("USER mrose\r\nPASS wrong\r\nSTAT\r\nCAPA\r\n")).toBe("+OK Send PASS\r\n");
    harness.handle(harness.session.completeLogin({ ok: false, reason: "auth" }, 0));
    const out = lines(harness.output());
    expect(out.slice(0, 2)).toEqual([
      "-ERR [AUTH] Authentication failed",
      "-ERR STAT is not valid in the AUTHORIZATION state",
    ]);
    expect(out[2]).toBe("+OK Capability list follows");
  });

  it("holds commands queued behind a message body", () => {
    const harness = loggedIn({ manual: ["body"] });
    expect(harness.send("RETR 1\r\nNOOP\r\n")).toBe("");
    expect(harness.session.nextDeadline()).toBeNull();
    harness.session.sendBody(new TextEncoder().encode(MESSAGES[0]));
    harness.handle(harness.session.endBody(0));
    expect(harness.output()).toBe(
      `+OK ${sizes()[0]} octets\r\n${MESSAGES[0]}.\r\n+OK Nothing to do\r\n`,
    );
  });

  it("stops wanting input while pipelined input past the limit waits for the host", () => {
    const harness = fresh({ manual: ["login"], limits: { pipelinedInputOctets: 10 } });
    harness.send(`APOP mrose ${RFC_DIGEST}\r\n`);
    expect(harness.session.wantsInput).toBe(true);
    harness.send("NOOP\r\nNOOP\r\nNOOP\r\n");
    expect(harness.session.wantsInput).toBe(false);
    harness.handle(harness.session.completeLogin({ ok: true, messages: [] }, 0));
    expect(harness.session.wantsInput).toBe(true);
    expect(lines(harness.output())).toHaveLength(4);
  });

  it("parks pipelined commands once their replies pass 64 KiB, until the host has taken them", () => {
    const messages = Array.from({ length: 2000 }, (_, i) => `Subject: ${i}\r\n\r\nx\r\n`);
    const harness = loggedIn({ messages });
    harness.output();
    // About 24 KiB per UIDL listing: 100 of them would be 2.4 MB from 600 octets of input.
    const mark = harness.events.length;
    const first = harness.send("UIDL\r\n".repeat(100));
    const answered = (output: string): number =>
      output.split("Unique-ID listing follows").length - 1;
    expect(answered(first)).toBe(3);
    expect(first.length).toBeLessThan(64 * 1024 + 30_000);
    expect(harness.session.hasDeferredInput).toBe(true);
    // Nothing more happens on its own: only `resume` (after the host wrote) goes on.
    expect(harness.output()).toBe("");
    let total = answered(first);
    while (harness.session.hasDeferredInput) {
      harness.handle(harness.session.resume(harness.now));
      const more = harness.output();
      expect(more.length).toBeLessThan(64 * 1024 + 30_000);
      total += answered(more);
    }
    expect(total).toBe(100);
    expect(harness.since(mark).filter((e) => e.type === "command-received")).toHaveLength(100);
  });

  it("holds nothing back for a partial line at the budget: `hasDeferredInput` needs a command", () => {
    const harness = loggedIn();
    harness.output();
    harness.send("NOOP\r\nNO");
    expect(harness.session.hasDeferredInput).toBe(false);
    expect(harness.send("OP\r\n")).toBe("+OK Nothing to do\r\n");
  });
});

describe("RFC 2595 STLS", () => {
  const tls = { ...DEFAULT_POLICY, allowPlaintextAuth: false, tlsAvailable: true };

  it("refuses STLS when TLS is not available", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send("STLS\r\n")).toBe("-ERR STLS is not available\r\n");
    expect(harness.since(mark).map((e) => e.type)).not.toContain("tls-requested");
    expect(harness.send("CAPA\r\n")).toMatch(/^\+OK/);
  });

  it("lists STLS before TLS and not after it", () => {
    const harness = fresh({ policy: tls, manual: ["tls"] });
    expect(lines(harness.send("CAPA\r\n"))).toContain("STLS");
    harness.send("STLS\r\n");
    harness.handle(harness.session.completeTls({ ok: true }, 0));
    const after = lines(harness.send("CAPA\r\n"));
    expect(after).not.toContain("STLS");
    // Inside TLS the password logins are allowed (RFC 2595 section 2.3).
    expect(after).toContain("USER");
    expect(after).toContain("SASL PLAIN LOGIN CRAM-MD5");
  });

  it("answers +OK, asks the host for TLS and discards what the client sent behind STLS", () => {
    const harness = fresh({ policy: tls, manual: ["tls"] });
    const mark = harness.events.length;
    expect(harness.send("STLS\r\nCAPA\r\nUSER x\r\n")).toBe("+OK Begin TLS negotiation\r\n");
    expect(harness.since(mark)).toContainEqual({ type: "tls-requested" });
    expect(harness.session.bufferedInput).toBe(0);
    expect(harness.session.nextDeadline()).toBeNull();
    // Sent in clear before the handshake finished: never acted on (CVE-2011-0411).
    expect(harness.send("CAPA\r\n")).toBe("");
    harness.handle(harness.session.completeTls({ ok: true }, 0));
    expect(harness.output()).toBe("");
    expect(harness.session.tlsActive).toBe(true);
    expect(harness.send("NOOP\r\n")).toBe("-ERR NOOP is not valid in the AUTHORIZATION state\r\n");
  });

  it("discards what came behind STLS in every segmentation", () => {
    const input = "STLS\r\nCAPA\r\nUSER x\r\n";
    for (let at = 1; at < input.length; at++) {
      const harness = fresh({ policy: tls, manual: ["tls"] });
      const output = harness.send(input.slice(0, at)) + harness.send(input.slice(at));
      expect(output, `split at ${at}`).toBe("+OK Begin TLS negotiation\r\n");
      harness.handle(harness.session.completeTls({ ok: true }, 0));
      expect(harness.output(), `split at ${at}`).toBe("");
    }
  });

  it("refuses STLS once TLS is active", () => {
    const harness = fresh({ policy: tls });
    harness.send("STLS\r\n");
    expect(harness.session.tlsActive).toBe(true);
    expect(harness.send("STLS\r\n")).toBe("-ERR TLS is already active\r\n");
    expect(fresh({ policy: tls, tlsActive: true }).send("STLS\r\n")).toBe(
      "-ERR TLS is already active\r\n",
    );
  });

  it("forgets a USER given before the handshake", () => {
    const harness = fresh({ policy: { ...tls, allowPlaintextAuth: true } });
    harness.send("USER mrose\r\n");
    harness.send("STLS\r\n");
    expect(harness.send("PASS tanstaaf\r\n")).toBe("-ERR No username given, send USER first\r\n");
  });

  it("closes when the handshake fails", () => {
    const harness = fresh({ policy: tls, manual: ["tls"] });
    harness.send("STLS\r\n");
    expect(harness.session.completeTls({ ok: false }, 0)).toEqual([
      { type: "session-closed", reason: "tls-failed" },
    ]);
    expect(harness.session.state).toBe("CLOSED");
  });
});

describe("RFC 5034 AUTH", () => {
  it("lists the mechanisms on offer for AUTH with no arguments", () => {
    expect(fresh().send("AUTH\r\n")).toBe(
      "+OK Supported SASL mechanisms\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\n.\r\n",
    );
    expect(
      fresh({ policy: { ...DEFAULT_POLICY, allowPlaintextAuth: false } }).send("AUTH\r\n"),
    ).toBe("+OK Supported SASL mechanisms\r\nCRAM-MD5\r\n.\r\n");
    expect(fresh({ policy: {} }).send("AUTH\r\n")).toBe("+OK Supported SASL mechanisms\r\n.\r\n");
  });

  it("logs in with PLAIN and an initial response", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send(`AUTH PLAIN ${b64("\u0000mrose\u0000tanstaaf")}\r\n`)).toMatch(
      /^\+OK Logged in/,
    );
    expect(harness.since(mark)).toContainEqual({
      type: "login-requested",
      user: "mrose",
      mechanism: "PLAIN",
      proof: { kind: "password", password: "tanstaaf" },
    });
  });

  it("logs in with PLAIN after an empty challenge, the mechanism name in any case", () => {
    const harness = fresh();
    expect(harness.send("auth plain\r\n")).toBe("+ \r\n");
    expect(harness.send(`${b64("\u0000mrose\u0000tanstaaf")}\r\n`)).toMatch(/^\+OK Logged in/);
  });

  it("logs in with LOGIN, prompt by prompt", () => {
    const harness = fresh();
    expect(harness.send("AUTH LOGIN\r\n")).toBe(`+ ${b64("Username:")}\r\n`);
    expect(harness.send(`${b64("alice")}\r\n`)).toBe(`+ ${b64("Password:")}\r\n`);
    expect(harness.send(`${b64("wonder land")}\r\n`)).toMatch(/^\+OK Logged in/);
  });

  it("logs in with CRAM-MD5 against a fresh challenge", () => {
    const harness = fresh();
    const challenge = harness.send("AUTH CRAM-MD5\r\n");
    expect(challenge).toMatch(/^\+ \S+\r\n$/);
    const decoded = atob(challenge.slice(2, -2));
    expect(decoded).toMatch(/^<0\.(ab){16}@pop\.example>$/);
    const digest = toHex(
      hmacMd5({
        key: new TextEncoder().encode("tanstaaf"),
        message: new TextEncoder().encode(decoded),
      }),
    );
    expect(harness.send(`${b64(`mrose ${digest}`)}\r\n`)).toMatch(/^\+OK Logged in/);
  });

  it("reads an initial response of `=` as present but empty", () => {
    // CRAM-MD5 takes an empty initial response as none and sends its challenge.
    expect(fresh().send("AUTH CRAM-MD5 =\r\n")).toMatch(/^\+ \S+\r\n$/);
    // PLAIN gets an empty message, which is malformed: a credential failure.
    expect(fresh().send("AUTH PLAIN =\r\n")).toMatch(/^-ERR \[AUTH\] Authentication failed: /);
  });

  it("refuses an initial response that is not base64, and stays usable", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send("AUTH PLAIN not*base64\r\n")).toBe(
      "-ERR Invalid base64 in initial response\r\n",
    );
    expect(harness.since(mark)).toContainEqual({ type: "command-rejected", reason: "bad base64" });
    expect(harness.send("CAPA\r\n")).toMatch(/^\+OK Capability list follows/);
  });

  it("refuses a SASL response that is not base64, and reads the next line as a command", () => {
    const harness = fresh();
    harness.send("AUTH LOGIN\r\n");
    expect(harness.send("%%%\r\n")).toBe("-ERR Invalid base64 in SASL response\r\n");
    expect(harness.send("CAPA\r\n")).toMatch(/^\+OK Capability list follows/);
  });

  it("cancels the exchange on `*` with -ERR (RFC 5034 section 4)", () => {
    const harness = fresh();
    harness.send("AUTH LOGIN\r\n");
    harness.send(`${b64("alice")}\r\n`);
    const mark = harness.events.length;
    expect(harness.send("*\r\n")).toBe("-ERR Authentication cancelled\r\n");
    expect(harness.since(mark)).toEqual([
      { type: "command-rejected", reason: "authentication cancelled" },
    ]);
    expect(harness.session.state).toBe("AUTHORIZATION");
    expect(harness.send("NOOP\r\n")).toMatch(/^-ERR NOOP is not valid/);
    expect(harness.login()).toMatch(/^\+OK Logged in/);
  });

  it("refuses an unknown mechanism", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send("AUTH GSSAPI\r\n")).toBe("-ERR Unsupported SASL mechanism: GSSAPI\r\n");
    expect(harness.since(mark)).toContainEqual({
      type: "command-rejected",
      reason: "unsupported mechanism",
    });
  });

  it("refuses a bad mechanism name as a syntax error", () => {
    expect(fresh().send("AUTH PL@IN\r\n")).toBe("-ERR Invalid SASL mechanism name\r\n");
  });

  it("answers a malformed exchange as a credential failure", () => {
    const harness = fresh();
    const mark = harness.events.length;
    expect(harness.send(`AUTH PLAIN ${b64("no nuls here")}\r\n`)).toBe(
      "-ERR [AUTH] Authentication failed: the PLAIN message needs two NUL separators\r\n",
    );
    expect(harness.since(mark)).toContainEqual({
      type: "command-rejected",
      reason: "the PLAIN message needs two NUL separators",
    });
    expect(harness.session.state).toBe("AUTHORIZATION");
  });

  it("forgets a USER when AUTH starts", () => {
    const harness = fresh();
    harness.send("USER mrose\r\n");
    harness.send("AUTH GSSAPI\r\n");
    expect(harness.send("PASS tanstaaf\r\n")).toBe("-ERR No username given, send USER first\r\n");
  });

  it("accepts a 2000-octet SASL response, which would be too long as a command", () => {
    const policy = { saslMechanisms: [tokenMechanism] };
    const harness = fresh({ policy });
    const token = "A".repeat(2000);
    expect(harness.send("AUTH X-TOKEN\r\n")).toBe("+ \r\n");
    expect(harness.send(`${token}\r\n`)).toMatch(/^\+OK Logged in/);

    const other = fresh({ policy });
    const mark = other.events.length;
    expect(other.send(`USER ${token}\r\n`)).toBe("-ERR Line too long\r\n");
    expect(other.since(mark)).toContainEqual({
      type: "limit-exceeded",
      limit: "commandLineOctets",
    });
    expect(other.send("CAPA\r\n")).toMatch(/^\+OK Capability list follows/);
  });

  it("refuses a SASL response past saslLineOctets and ends the exchange", () => {
    const harness = fresh({
      policy: { saslMechanisms: [tokenMechanism] },
      limits: { saslLineOctets: 4096 },
    });
    harness.send("AUTH X-TOKEN\r\n");
    const mark = harness.events.length;
    expect(harness.send(`${"A".repeat(5000)}\r\n`)).toBe("-ERR SASL response too long\r\n");
    expect(harness.since(mark)).toContainEqual({ type: "limit-exceeded", limit: "saslLineOctets" });
    expect(harness.send("CAPA\r\n")).toMatch(/^\+OK Capability list follows/);
  });

  it("counts failed exchanges toward the authentication limit", () => {
    const harness = fresh({ limits: { authFailures: 2 } });
    const bad = `AUTH PLAIN ${b64("\u0000mrose\u0000wrong")}\r\n`;
    expect(harness.send(bad)).toBe("-ERR [AUTH] Authentication failed\r\n");
    const mark = harness.events.length;
    harness.send(`AUTH PLAIN ${b64("garbage")}\r\n`);
    expect(harness.since(mark).slice(-2)).toEqual([
      { type: "limit-exceeded", limit: "authFailures" },
      { type: "session-closed", reason: "too-many-auth-failures" },
    ]);
    expect(harness.session.state).toBe("CLOSED");
  });
});

describe("RFC 6856 UTF8 and LANG", () => {
  it("turns on UTF-8 mode before login", () => {
    const harness = fresh();
    expect(harness.session.utf8).toBe(false);
    expect(harness.send("UTF8\r\n")).toBe("+OK UTF8 enabled\r\n");
    expect(harness.session.utf8).toBe(true);
    expect(harness.login()).toMatch(/^\+OK Logged in/);
  });

  it("refuses UTF8 after login", () => {
    const harness = loggedIn();
    expect(harness.send("UTF8\r\n")).toBe("-ERR UTF8 is not valid in the TRANSACTION state\r\n");
    expect(harness.session.utf8).toBe(false);
  });

  it("accepts a UTF-8 user name", () => {
    const harness = fresh();
    const mark = harness.events.length;
    harness.send(new TextEncoder().encode("UTF8\r\nUSER r\u00f6se\r\nPASS x\r\n"));
    expect(harness.since(mark)).toContainEqual(
      expect.objectContaining({ type: "login-requested", user: "r\u00f6se" }),
    );
  });

  it("lists the languages for LANG with no argument, before and after login", () => {
    for (const harness of [fresh(), loggedIn()]) {
      expect(harness.send("LANG\r\n")).toBe(
        "+OK Language listing follows\r\ni-default Default\r\nen English\r\nde Deutsch\r\n.\r\n",
      );
    }
  });

  it.each([
    ["LANG en", "+OK en Language set"],
    ["LANG EN", "+OK en Language set"],
    // RFC 4647 section 3.3.1: a basic range matches the tag and the tags below it.
    ["LANG en-US", "-ERR Language not supported: en-US"],
    ["LANG de", "+OK de Sprache eingestellt"],
    ["LANG i-default", "+OK i-default Language set"],
    // The administrator's preference; i-default unless the policy names one.
    ["LANG *", "+OK i-default Language set"],
  ])("answers %s", (command, reply) => {
    expect(fresh().send(`${command}\r\n`)).toBe(`${reply}\r\n`);
    expect(loggedIn().send(`${command}\r\n`)).toBe(`${reply}\r\n`);
  });

  it("LANG * selects the administrator's language (policy.language)", () => {
    expect(fresh({ policy: { language: "de" } }).send("LANG *\r\n")).toBe(
      "+OK de Sprache eingestellt\r\n",
    );
  });

  it("answers in German from the catalog, with umlauts only after UTF8 (RFC 6856 sections 2, 3)", () => {
    const before = loggedIn();
    before.send("LANG de\r\n");
    // "Nichts zu tun" is ASCII: German at once; "Fähigkeiten folgen" waits for UTF8.
    expect(before.send("NOOP\r\n")).toBe("+OK Nichts zu tun\r\n");
    expect(before.send("CAPA\r\n")).toMatch(/^\+OK Capability list follows\r\n/);
    expect(fresh().send("LANG de\r\nUSER mrose\r\n")).toMatch(/\+OK Bitte PASS senden\r\n$/);
    const after = fresh();
    after.send("UTF8\r\nLANG de\r\n");
    // The harness reads octets as latin1; the reply is UTF-8.
    const octets = Uint8Array.from(after.send("CAPA\r\n"), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(octets)).toMatch(/^\+OK Fähigkeiten folgen\r\n/);
  });

  // RFC 6856 section 2.2: with `UTF8 USER` in CAPA a client may use UTF-8 in USER, PASS and
  // APOP without having issued the UTF8 command first, so a `[UTF8]` refusal here would be
  // wrong (it broke this test once; the test is right).
  it("still takes UTF-8 user names and passwords before UTF8, as clients that never send it do", () => {
    const harness = fresh();
    const mark = harness.events.length;
    harness.send(new TextEncoder().encode("USER r\u00f6se\r\nPASS p\u00e4ss\r\n"));
    expect(harness.since(mark)).toContainEqual(
      expect.objectContaining({ type: "login-requested", user: "r\u00f6se" }),
    );
  });

  it("SASLpreps UTF-8 user names as query strings (RFC 6856 section 2.2)", () => {
    const harness = fresh();
    const mark = harness.events.length;
    // NO-BREAK SPACE maps to SPACE, SOFT HYPHEN to nothing, the "fi" ligature to "fi".
    harness.send(new TextEncoder().encode("USER r\u00f6\u00adse\u00a0x\r\nPASS \ufb01 \u00e4\r\n"));
    expect(harness.since(mark)).toContainEqual(
      expect.objectContaining({
        type: "login-requested",
        user: "r\u00f6se x",
        // The password goes on as sent; verifyProof SASLpreps both sides.
        proof: { kind: "password", password: "\ufb01 \u00e4" },
      }),
    );
  });

  it("keeps ASCII passwords as they are, TAB included (RFC 1939 clients send them)", () => {
    const harness = fresh();
    const mark = harness.events.length;
    harness.send("USER mrose\r\nPASS a\tb\r\n");
    expect(harness.since(mark)).toContainEqual(
      expect.objectContaining({ proof: { kind: "password", password: "a\tb" } }),
    );
  });

  it.each([
    ["USER", "USER a\ue000b\r\n"],
    ["PASS", "USER mrose\r\nPASS \u00e4\u0085\r\n"],
    ["APOP", `APOP \u00e4\u200e ${RFC_DIGEST}\r\n`],
  ])(
    "rejects a %s argument with a character SASLprep prohibits (RFC 6856 section 2.2)",
    (_, input) => {
      const harness = fresh();
      const mark = harness.events.length;
      const output = harness.send(new TextEncoder().encode(input));
      expect(lines(output).at(-1)).toBe(
        "-ERR [AUTH] User name or password contains a character SASLprep prohibits",
      );
      expect(harness.since(mark).some((event) => event.type === "login-requested")).toBe(false);
    },
  );

  it("puts no non-ASCII octet on the wire before UTF8, whatever it echoes (RFC 6856 section 2)", () => {
    const hostile = [
      "USER r\u00f6se",
      "PASS p\u00e4ss",
      "APOP r\u00f6se xyz",
      "AUTH SCR\u00c4M",
      "AUTH X-\u00dcNKNOWN",
      "LANG d\u00e9",
      "LANG fr",
      "\u00dcSER x",
      "TOP 1 \u00fc",
      "LIST \u0661",
      "RETR gr\u00fc\u00dfe",
      "DELE 99",
      "RETR 1",
      "NOOP",
      "RSET",
      "CAPA",
      "STLS",
      "LIST",
      "QUIT",
    ];
    for (const language of ["i-default", "de"]) {
      const before = fresh({ limits: { badCommands: 100 } });
      const wire = before.send(
        new TextEncoder().encode(`LANG ${language}\r\n${hostile.join("\r\n")}\r\n`),
      );
      const after = loggedIn({ limits: { badCommands: 100 } });
      const wireAfter = after.send(
        new TextEncoder().encode(`LANG ${language}\r\n${hostile.join("\r\n")}\r\n`),
      );
      const octets = Array.from(wire + wireAfter, (c) => c.charCodeAt(0));
      expect(
        octets.filter((octet) => octet > 0x7f),
        language,
      ).toEqual([]);
      expect(lines(wireAfter).length, language).toBeGreaterThan(hostile.length);
    }
  });

  it("answers every step of a session in German after UTF8 and LANG de", () => {
    const harness = fresh();
    const decode = (latin: string): string =>
      new TextDecoder().decode(Uint8Array.from(latin, (c) => c.charCodeAt(0)));
    const say = (command: string): string => decode(harness.send(`${command}\r\n`));
    expect(say("UTF8")).toBe("+OK UTF8 enabled\r\n");
    expect(say("LANG de")).toBe("+OK de Sprache eingestellt\r\n");
    expect(say("PASS x")).toBe("-ERR Kein Benutzername, zuerst USER senden\r\n");
    expect(say("AUTH FOO")).toBe("-ERR Nicht unterstützter SASL-Mechanismus: FOO\r\n");
    expect(say("USER mrose")).toBe("+OK Bitte PASS senden\r\n");
    expect(say("PASS wrong")).toBe("-ERR [AUTH] Anmeldung fehlgeschlagen\r\n");
    expect(harness.login()).toMatch(/^\+OK Angemeldet, 3 Nachrichten \(\d+ Oktette\)\r\n$/);
    expect(say("LIST").split("\r\n")[0]).toMatch(/^\+OK 3 Nachrichten \(\d+ Oktette\)$/);
    expect(say("RETR 9")).toBe("-ERR Keine Nachricht 9, nur 3\r\n");
    expect(say("RETR x")).toBe("-ERR Ungültige Nachrichtennummer: x\r\n");
    expect(say("DELE 1")).toBe("+OK Nachricht 1 gelöscht\r\n");
    expect(say("DELE 1")).toBe("-ERR Nachricht 1 ist gelöscht\r\n");
    expect(say("RETR 2").split("\r\n")[0]).toMatch(/^\+OK \d+ Oktette$/);
    expect(say("TOP 2 0").split("\r\n")[0]).toBe("+OK Anfang der Nachricht folgt");
    expect(say("UTF8")).toBe("-ERR UTF8 ist im Zustand TRANSACTION nicht erlaubt\r\n");
    expect(say("QUIT")).toBe("+OK POP3-Server verabschiedet sich (2 Nachrichten übrig)\r\n");
  });

  it("puts a host's catalog message into the session's language (LoginOutcome.message)", () => {
    const harness = fresh({
      login: () => ({
        ok: false,
        reason: "login-delay",
        message: { id: "loginDelayWait", params: { delay: 900, wait: 60 } },
      }),
    });
    harness.send("LANG de\r\n");
    expect(harness.login()).toBe(
      "-ERR [LOGIN-DELAY] Zu kurz nach der letzten Anmeldung: weniger als 900 s her; noch 60 s warten\r\n",
    );
  });

  it("sends a host's own non-ASCII text only after UTF8, else the catalog's (RFC 6856 section 2)", () => {
    const locked = () =>
      fresh({
        login: () => ({ ok: false, reason: "in-use", text: "Postfach gesperrt (l\u00e4uft)" }),
      });
    expect(locked().login()).toBe("-ERR [IN-USE] Maildrop is locked by another POP3 session\r\n");
    const after = locked();
    after.send("UTF8\r\n");
    const octets = Uint8Array.from(after.login(), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(octets)).toBe(
      "-ERR [IN-USE] Postfach gesperrt (l\u00e4uft)\r\n",
    );
  });

  it("refuses an unsupported language without counting it as a bad command", () => {
    const harness = fresh({ limits: { badCommands: 2 } });
    for (let i = 0; i < 3; i++) {
      expect(harness.send("LANG fr\r\n")).toBe("-ERR Language not supported: fr\r\n");
    }
    expect(harness.session.state).toBe("AUTHORIZATION");
  });
});

describe("limits", () => {
  it("closes after too many bad commands, with -ERR and too-many-bad-commands", () => {
    const harness = fresh({ limits: { badCommands: 3 } });
    expect(harness.send("XTND\r\n")).toBe("-ERR Unknown command: XTND\r\n");
    expect(harness.send("STAT\r\n")).toMatch(/^-ERR STAT is not valid/);
    const mark = harness.events.length;
    expect(lines(harness.send("RETR x\r\nNOOP\r\n"))).toEqual([
      "-ERR Invalid message number: x",
      "-ERR Too many bad commands, closing connection",
    ]);
    expect(harness.since(mark).slice(-2)).toEqual([
      { type: "limit-exceeded", limit: "badCommands" },
      { type: "session-closed", reason: "too-many-bad-commands" },
    ]);
    expect(harness.session.state).toBe("CLOSED");
    expect(harness.send("CAPA\r\n")).toBe("");
    expect(harness.session.wantsInput).toBe(false);
  });

  it("counts over-long lines as bad commands", () => {
    const harness = fresh({ limits: { badCommands: 2, commandLineOctets: 255 } });
    harness.send(`${"x".repeat(300)}\r\n`);
    expect(lines(harness.send(`${"y".repeat(300)}\r\n`))).toEqual([
      "-ERR Line too long",
      "-ERR Too many bad commands, closing connection",
    ]);
  });

  it("raises a bad-command limit below 1 to 1", () => {
    const harness = fresh({ limits: { badCommands: 0 } });
    expect(lines(harness.send("XTND\r\n"))).toHaveLength(2);
    expect(harness.session.state).toBe("CLOSED");
  });

  it("closes after too many failed logins", () => {
    const harness = fresh({ limits: { authFailures: 3 } });
    harness.login("mrose", "one");
    harness.login("mrose", "two");
    harness.send("USER mrose\r\n");
    const mark = harness.events.length;
    expect(harness.send("PASS three\r\nCAPA\r\n")).toBe("-ERR [AUTH] Authentication failed\r\n");
    expect(harness.since(mark).slice(-2)).toEqual([
      { type: "limit-exceeded", limit: "authFailures" },
      { type: "session-closed", reason: "too-many-auth-failures" },
    ]);
  });

  it("accepts a command line of 255 octets however low the limit is set (RFC 2449 section 4)", () => {
    const harness = fresh({ limits: { commandLineOctets: 10 } });
    const name = "n".repeat(255 - "USER \r\n".length);
    expect(harness.send(`USER ${name}\r\n`)).toBe("+OK Send PASS\r\n");
    expect(harness.send(`USER ${name}x\r\n`)).toBe("-ERR Line too long\r\n");
  });

  describe("deadlines (RFC 1939 section 3)", () => {
    it("runs the short timer before login, from the last command", () => {
      const harness = fresh({ now: 1000, limits: { authorizationTimeoutMs: 30_000 } });
      expect(harness.session.nextDeadline()).toBe(31_000);
      harness.now = 5000;
      harness.send("CAPA\r\n");
      expect(harness.session.nextDeadline()).toBe(35_000);
      // A partial line is not a command: it does not move the timer.
      harness.now = 6000;
      harness.send("CA");
      expect(harness.session.nextDeadline()).toBe(35_000);
    });

    it("closes before login at the login deadline, however busy the client keeps it", () => {
      const harness = fresh({
        now: 0,
        limits: { authorizationTimeoutMs: 30_000, loginDeadlineMs: 90_000 },
      });
      harness.output();
      for (let t = 20_000; t < 90_000; t += 20_000) {
        harness.now = t;
        expect(harness.send("CAPA\r\n")).toMatch(/^\+OK/);
      }
      expect(harness.session.nextDeadline()).toBe(90_000);
      expect(harness.session.handleTimeout(89_999)).toEqual([]);
      expect(harness.session.handleTimeout(90_000)).toEqual([
        { type: "limit-exceeded", limit: "loginDeadlineMs" },
        { type: "session-closed", reason: "timeout" },
      ]);
      expect(harness.output()).toBe("-ERR Too long without logging in\r\n");
    });

    it("has no login deadline once logged in", () => {
      const harness = fresh({ now: 0, limits: { loginDeadlineMs: 60_000 } });
      harness.now = 50_000;
      harness.login();
      harness.now = 100_000;
      harness.send("NOOP\r\n");
      expect(harness.session.nextDeadline()).toBe(100_000 + MIN_IDLE_TIMEOUT_MS);
    });

    it("runs the autologout timer after login: at least 10 minutes even if less is configured", () => {
      const harness = loggedIn({ limits: { idleTimeoutMs: 1000 } });
      harness.now = 50;
      harness.send("NOOP\r\n");
      expect(harness.session.nextDeadline()).toBe(50 + MIN_IDLE_TIMEOUT_MS);
      const longer = loggedIn({ limits: { idleTimeoutMs: 2 * MIN_IDLE_TIMEOUT_MS } });
      expect(longer.session.nextDeadline()).toBe(2 * MIN_IDLE_TIMEOUT_MS);
    });

    it("runs no timer while a login, a body, a handshake or UPDATE is pending", () => {
      const login = fresh({ manual: ["login"] });
      login.send(`APOP mrose ${RFC_DIGEST}\r\n`);
      expect(login.session.nextDeadline()).toBeNull();
      expect(login.session.handleTimeout(Number.MAX_SAFE_INTEGER)).toEqual([]);
      login.now = 700;
      login.handle(login.session.completeLogin({ ok: true, messages: [] }, login.now));
      expect(login.session.nextDeadline()).toBe(700 + MIN_IDLE_TIMEOUT_MS);

      const body = loggedIn({ manual: ["body"] });
      body.send("RETR 1\r\n");
      expect(body.session.nextDeadline()).toBeNull();

      const tls = fresh({ manual: ["tls"], policy: { tlsAvailable: true } });
      tls.send("STLS\r\n");
      expect(tls.session.nextDeadline()).toBeNull();
    });

    it("does nothing before the deadline", () => {
      const harness = fresh({ limits: { authorizationTimeoutMs: 100 } });
      expect(harness.session.handleTimeout(99)).toEqual([]);
      expect(harness.output()).toBe("");
      expect(harness.session.state).toBe("AUTHORIZATION");
    });

    it("tells the client and closes when the timer before login runs out", () => {
      const harness = fresh({ limits: { authorizationTimeoutMs: 100 } });
      expect(harness.session.handleTimeout(100)).toEqual([
        { type: "limit-exceeded", limit: "authorizationTimeoutMs" },
        { type: "session-closed", reason: "timeout" },
      ]);
      expect(harness.output()).toBe("-ERR Disconnected for inactivity\r\n");
      expect(harness.session.nextDeadline()).toBeNull();
      expect(harness.session.handleTimeout(1e12)).toEqual([]);
    });

    it("logs out silently in TRANSACTION, without UPDATE", () => {
      const harness = loggedIn();
      harness.send("DELE 1\r\n");
      const deadline = harness.session.nextDeadline() as number;
      expect(harness.session.handleTimeout(deadline - 1)).toEqual([]);
      const events = harness.session.handleTimeout(deadline);
      expect(events).toEqual([
        { type: "limit-exceeded", limit: "idleTimeoutMs" },
        { type: "session-closed", reason: "timeout" },
      ]);
      expect(harness.output()).toBe("");
      expect(harness.session.state).toBe("CLOSED");
    });
  });

  describe("message bodies", () => {
    it("answers -ERR [SYS/TEMP] when the store fails before the body started, and goes on", () => {
      const harness = loggedIn({ manual: ["body"] });
      harness.send("RETR 1\r\nNOOP\r\n");
      harness.handle(harness.session.failBody(0));
      expect(harness.output()).toBe(
        "-ERR [SYS/TEMP] Message could not be read\r\n+OK Nothing to do\r\n",
      );
      harness.send("RETR 2\r\n");
      harness.handle(harness.session.failBody(0, "gone"));
      expect(harness.output()).toBe("-ERR [SYS/TEMP] gone\r\n");
      expect(harness.session.state).toBe("TRANSACTION");
    });

    it("closes with store-failed when the store fails after the body started", () => {
      const harness = loggedIn({ manual: ["body"] });
      harness.send("RETR 1\r\nNOOP\r\n");
      expect(harness.session.sendBody(new TextEncoder().encode("Subject: one\r\n"))).toBe(true);
      expect(harness.session.failBody(0)).toEqual([
        { type: "session-closed", reason: "store-failed" },
      ]);
      expect(harness.output()).toBe(`+OK ${sizes()[0]} octets\r\nSubject: one\r\n`);
      expect(harness.session.state).toBe("CLOSED");
    });

    it("sends the +OK line and the terminator for an empty body", () => {
      const harness = loggedIn({ manual: ["body"] });
      harness.send("RETR 1\r\n");
      harness.handle(harness.session.endBody(0));
      expect(harness.output()).toBe(`+OK ${sizes()[0]} octets\r\n.\r\n`);
    });
  });

  describe("completions with nothing pending", () => {
    const calls: [string, (session: ServerSession) => unknown][] = [
      ["completeLogin", (s) => s.completeLogin({ ok: true, messages: [] }, 0)],
      ["sendBody", (s) => s.sendBody(new Uint8Array(1))],
      ["endBody", (s) => s.endBody(0)],
      ["failBody", (s) => s.failBody(0)],
      ["completeTls", (s) => s.completeTls({ ok: true }, 0)],
      ["completeUpdate", (s) => s.completeUpdate({ ok: true })],
    ];

    it.each(calls)("%s throws LocalProtocolError invalid-state", (_, call) => {
      const harness = fresh();
      let thrown: unknown;
      try {
        call(harness.session);
      } catch (error) {
        thrown = error;
      }
      expect(LocalProtocolError.isInstance(thrown)).toBe(true);
      expect((thrown as LocalProtocolError).code).toBe("invalid-state");
      expect(harness.output()).toBe("");
    });

    it("throws for the wrong completion while something else is pending", () => {
      const harness = fresh({ manual: ["login"] });
      harness.send(`APOP mrose ${RFC_DIGEST}\r\n`);
      expect(() => harness.session.completeTls({ ok: true }, 0)).toThrow(LocalProtocolError);
      expect(() => harness.session.endBody(0)).toThrow(/no body is pending \(pending: login/);
      harness.handle(harness.session.completeLogin({ ok: true, messages: [] }, 0));
      expect(() => harness.session.completeLogin({ ok: true, messages: [] }, 0)).toThrow(
        LocalProtocolError,
      );
    });

    it("throws once the session has closed", () => {
      const harness = fresh({ manual: ["login"] });
      harness.send(`APOP mrose ${RFC_DIGEST}\r\n`);
      harness.send(new Uint8Array(0));
      expect(() => harness.session.completeLogin({ ok: true, messages: [] }, 0)).toThrow(
        LocalProtocolError,
      );
    });
  });
});

describe("events for logs", () => {
  it("name the kind of a refused line, never its text (it may be a misplaced password)", () => {
    const session = new ServerSession({
      hostname: "h",
      now: 0,
      randomBytes: (n) => new Uint8Array(n),
    });
    const events = session.receive(
      Uint8Array.from("hunter2\r\nLIST hunter3\r\n", (c) => c.charCodeAt(0)),
      0,
    );
    const logged = JSON.stringify(events);
    expect(logged).toContain("unknown-command");
    expect(logged).toContain("bad-syntax");
    expect(logged.toLowerCase()).not.toContain("hunter");
  });
});

describe("unique-ids (RFC 1939 section 7), whatever the store reports", () => {
  it("hashes what is not valid and tells duplicates apart, so no two messages share one", () => {
    const harness = new ServerHarness({
      login: () => ({
        ok: true,
        messages: [
          { size: 1, uid: "same" },
          { size: 1, uid: "same" },
          { size: 1, uid: "has space" },
          { size: 1, uid: "" },
        ],
      }),
    });
    harness.output();
    harness.login();
    const uidl = lines(harness.send("UIDL\r\n"));
    expect(uidl.slice(1, 3)).toEqual(["1 same", "2 same-2"]);
    expect(uidl[3]).toMatch(/^3 [0-9a-f]{40}$/);
    expect(uidl[4]).toMatch(/^4 [0-9a-f]{40}$/);
    expect(new Set(uidl.slice(1, 5).map((line) => line.split(" ")[1])).size).toBe(4);
    expect(harness.send("UIDL 2\r\n")).toBe("+OK 2 same-2\r\n");
  });
});
