/**
 * The client's protocol matrix, driving `ClientSession` directly with server bytes written out
 * by hand.
 */
import { describe, expect, it } from "vitest";
import {
  type ClientEvent,
  ClientSession,
  type ClientSessionOptions,
  type Command,
  LocalProtocolError,
  RemoteProtocolError,
} from "../src/index.ts";
import { latin1, text } from "./helpers/server-harness.ts";

const GREETING = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";

function greeted(options: ClientSessionOptions = {}, greeting = GREETING): ClientSession {
  const client = new ClientSession(options);
  client.receive(latin1(greeting), 0);
  return client;
}

/** A client in TRANSACTION after USER/PASS. */
function loggedIn(options: ClientSessionOptions = {}): ClientSession {
  const client = greeted(options);
  client.send({ keyword: "USER", name: "mrose" });
  client.send({ keyword: "PASS", password: "tanstaaf" });
  client.receive(latin1("+OK\r\n+OK logged in\r\n"), 0);
  client.takeOutput();
  expect(client.state).toBe("TRANSACTION");
  return client;
}

const sent = (client: ClientSession): string => client.takeOutput().map(text).join("");
const feed = (client: ClientSession, input: string): ClientEvent[] =>
  client.receive(latin1(input), 0);

/** What `fn` threw (it must throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

function expectRemote(fn: () => unknown, code: RemoteProtocolError["code"]): void {
  const error = thrown(fn);
  expect(RemoteProtocolError.isInstance(error)).toBe(true);
  expect((error as RemoteProtocolError).code).toBe(code);
}

function expectLocal(fn: () => unknown, code: LocalProtocolError["code"] = "invalid-state"): void {
  const error = thrown(fn);
  expect(LocalProtocolError.isInstance(error)).toBe(true);
  expect((error as LocalProtocolError).code).toBe(code);
}

/** Events with byte chunks joined, so events from different segmentations compare equal. */
function normalise(events: readonly ClientEvent[]): unknown[] {
  const out: unknown[] = [];
  for (const event of events) {
    const last = out.at(-1) as { type?: string; data?: string } | undefined;
    if (event.type === "body-chunk") {
      if (last?.type === "body-chunk") last.data += text(event.data);
      else out.push({ type: "body-chunk", data: text(event.data) });
    } else {
      out.push(event);
    }
  }
  return out;
}

describe("the greeting", () => {
  it("reads +OK with the APOP timestamp", () => {
    const client = new ClientSession();
    expect(feed(client, GREETING)).toEqual([
      {
        type: "greeting-received",
        status: { ok: true, text: "POP3 server ready <1896.697170952@dbc.mtview.ca.us>" },
        timestamp: "<1896.697170952@dbc.mtview.ca.us>",
      },
    ]);
    expect(client.state).toBe("AUTHORIZATION");
  });

  it("reads a bare +OK greeting, with no timestamp", () => {
    expect(feed(new ClientSession(), "+OK\r\n")).toEqual([
      { type: "greeting-received", status: { ok: true, text: "" }, timestamp: null },
    ]);
  });

  it("reads the greeting split at every byte", () => {
    for (let at = 1; at < GREETING.length; at++) {
      const client = new ClientSession();
      const events = [...feed(client, GREETING.slice(0, at)), ...feed(client, GREETING.slice(at))];
      expect(events, `split at ${at}`).toHaveLength(1);
    }
  });

  it.each([["* OK IMAP4rev1 ready"], ["220 smtp.example ESMTP"], ["+OKAY"], [""]])(
    "refuses the bad greeting %j and closes",
    (line) => {
      const client = new ClientSession();
      expectRemote(() => feed(client, `${line}\r\n`), "bad-greeting");
      expect(client.state).toBe("CLOSED");
      expectRemote(() => feed(client, "+OK\r\n"), "unexpected-data");
    },
  );

  it("reports a -ERR greeting and closes", () => {
    const client = new ClientSession();
    expect(feed(client, "-ERR [SYS/TEMP] too busy\r\n")).toEqual([
      {
        type: "greeting-received",
        status: { ok: false, code: "SYS/TEMP", text: "too busy" },
        timestamp: null,
      },
    ]);
    expect(client.state).toBe("CLOSED");
    expectLocal(() => client.send({ keyword: "QUIT" }));
    expect(client.receive(new Uint8Array(0), 0)).toEqual([]);
  });

  it("refuses to send before the greeting", () => {
    expectLocal(() => new ClientSession().send({ keyword: "CAPA" }));
  });

  it("throws connection-closed on EOF before the greeting", () => {
    const client = new ClientSession();
    expectRemote(() => client.receive(new Uint8Array(0), 0), "connection-closed");
    expect(client.state).toBe("CLOSED");
  });
});

describe("unsolicited data (EAST `unsolicited` cases)", () => {
  it("throws unexpected-data for bytes with no command pending, and closes", () => {
    const client = greeted();
    expectRemote(() => feed(client, "+OK surprise\r\n"), "unexpected-data");
    expect(client.state).toBe("CLOSED");
  });

  it("throws unexpected-data for a second line in the greeting's chunk", () => {
    const client = new ClientSession();
    expectRemote(() => feed(client, `${GREETING}+OK 2 320\r\n`), "unexpected-data");
  });

  it("throws unexpected-data for a second reply to one command", () => {
    const client = greeted();
    client.send({ keyword: "CAPA" });
    expectRemote(() => feed(client, "-ERR no\r\n-ERR again\r\n"), "unexpected-data");
  });

  it("throws unexpected-data for half a line with no command pending, before its end arrives", () => {
    const client = greeted();
    expectRemote(() => feed(client, "+OK forg"), "unexpected-data");
    expect(client.state).toBe("CLOSED");
  });

  it("throws unexpected-data for a partial line left behind the last reply", () => {
    const client = loggedIn();
    client.send({ keyword: "NOOP" });
    expectRemote(() => feed(client, "+OK\r\n+OK forg"), "unexpected-data");
    // Pipelined: the rest belongs to the next pending command, which is fine.
    const pipelined = loggedIn();
    pipelined.send({ keyword: "RSET" });
    pipelined.send({ keyword: "NOOP" });
    expect(feed(pipelined, "-ERR\r\n+OK par")).toHaveLength(1);
    expect(feed(pipelined, "tial\r\n")).toHaveLength(1);
  });

  it("throws unexpected-data for bytes after the session closed", () => {
    const client = greeted();
    client.send({ keyword: "QUIT" });
    feed(client, "+OK bye\r\n");
    expect(client.state).toBe("CLOSED");
    expectRemote(() => feed(client, "+OK\r\n"), "unexpected-data");
  });
});

describe("replies (RFC 1939 sections 5 and 7)", () => {
  it("reads LIST n as one line and LIST as a listing", () => {
    const client = loggedIn();
    client.send({ keyword: "LIST", message: 3 });
    expect(feed(client, "+OK 3 120\r\n")).toEqual([
      {
        type: "response-received",
        command: { keyword: "LIST", message: 3 },
        status: { ok: true, text: "3 120" },
      },
    ]);
    client.send({ keyword: "LIST" });
    expect(feed(client, "+OK 2 messages\r\n1 120\r\n2 200 octets, say\r\n.\r\n")).toEqual([
      {
        type: "response-received",
        command: { keyword: "LIST" },
        status: { ok: true, text: "2 messages" },
        lines: ["1 120", "2 200 octets, say"],
      },
    ]);
    expect(client.pending).toEqual([]);
  });

  it("reads a bare +OK", () => {
    const client = loggedIn();
    client.send({ keyword: "NOOP" });
    expect(feed(client, "+OK\r\n")).toEqual([
      { type: "response-received", command: { keyword: "NOOP" }, status: { ok: true, text: "" } },
    ]);
  });

  it("reads a -ERR to a multi-line command as one line", () => {
    const client = loggedIn();
    client.send({ keyword: "UIDL" });
    client.send({ keyword: "NOOP" });
    const events = feed(client, "-ERR no UIDL here\r\n+OK\r\n");
    expect(events.map((e) => e.type === "response-received" && e.status.ok)).toEqual([false, true]);
  });

  it("keeps unique-ids of any length and unstuffs listing lines", () => {
    const client = loggedIn();
    const long = "u".repeat(300);
    client.send({ keyword: "UIDL" });
    const [event] = feed(client, `+OK\r\n1 ${long}\r\n2 ..dot\r\n..x\r\n.\r\n`);
    expect(event).toMatchObject({ lines: [`1 ${long}`, "2 ..dot", ".x"] });
  });

  it("reads listing lines that are not UTF-8 as latin-1", () => {
    const client = loggedIn();
    client.send({ keyword: "UIDL" });
    const [event] = feed(client, "+OK\r\n1 caf\u00e9\r\n.\r\n");
    expect(event).toMatchObject({ lines: ["1 caf\u00e9"] });
  });

  it("shows at most 80 octets of a bad line in the error", () => {
    const client = loggedIn();
    client.send({ keyword: "NOOP" });
    const error = thrown(() => feed(client, `${"z".repeat(200)}\r\n`)) as Error;
    expect(error.message).toBe(`bad response to NOOP: "${"z".repeat(80)}..."`);
  });

  it("reads response codes (RFC 2449 section 8, RFC 3206)", () => {
    const client = greeted();
    client.send({ keyword: "USER", name: "mrose" });
    client.send({ keyword: "PASS", password: "x" });
    const events = feed(client, "+OK\r\n-ERR [IN-USE] maildrop locked\r\n");
    expect(events[1]).toMatchObject({
      status: { ok: false, code: "IN-USE", text: "maildrop locked" },
    });
    expect(client.state).toBe("AUTHORIZATION");
  });

  it("throws bad-response for a line that is not a status line, and closes", () => {
    const client = loggedIn();
    client.send({ keyword: "STAT" });
    expectRemote(() => feed(client, "2 320\r\n"), "bad-response");
    expect(client.state).toBe("CLOSED");
  });

  it("throws bad-response for a continuation to a command other than AUTH", () => {
    const client = greeted();
    client.send({ keyword: "AUTH" });
    expectRemote(() => feed(client, "+ challenge\r\n"), "bad-response");
  });

  it("answers pipelined commands in order, however the replies are cut", () => {
    const commands: Command[] = [
      { keyword: "STAT" },
      { keyword: "LIST" },
      { keyword: "RETR", message: 1 },
      { keyword: "UIDL", message: 2 },
      { keyword: "TOP", message: 1, lines: 0 },
      { keyword: "NOOP" },
    ];
    const replies =
      "+OK 2 320\r\n+OK\r\n1 120\r\n2 200\r\n.\r\n+OK 120 octets\r\nSubject: x\r\n\r\n..dot\r\n.\r\n" +
      "+OK 2 QhdPYR:00WBw1Ph7x7\r\n+OK\r\nSubject: x\r\n\r\n.\r\n+OK\r\n";
    const run = (cuts: number[]): unknown[] => {
      const client = loggedIn();
      for (const command of commands) client.send(command);
      const events: ClientEvent[] = [];
      let start = 0;
      for (const cut of [...cuts, replies.length]) {
        events.push(...feed(client, replies.slice(start, cut)));
        start = cut;
      }
      expect(client.pending).toEqual([]);
      return normalise(events);
    };
    const whole = run([]);
    expect(whole.map((e) => (e as { type: string }).type)).toEqual([
      "response-received",
      "response-received",
      "response-received",
      "body-chunk",
      "body-end",
      "response-received",
      "response-received",
      "body-chunk",
      "body-end",
      "response-received",
    ]);
    expect(whole[3]).toEqual({ type: "body-chunk", data: "Subject: x\r\n\r\n.dot\r\n" });
    expect(whole[4]).toMatchObject({
      type: "body-end",
      octets: "Subject: x\r\n\r\n.dot\r\n".length,
    });
    for (let at = 1; at < replies.length; at++) {
      expect(run([at]), `split at ${at}`).toEqual(whole);
    }
  });

  it("streams a body across many receive calls, before its end arrives", () => {
    const client = loggedIn();
    client.send({ keyword: "RETR", message: 1 });
    let body = "";
    for (let i = 0; i < 200; i++) body += `line ${i}${i % 7 === 0 ? "\r\n." : ""}\r\n`;
    const wire = `+OK\r\n${body.replace(/\r\n\./g, "\r\n..")}.\r\n`;
    const chunks: string[] = [];
    for (let at = 0; at < wire.length; at += 37) chunks.push(wire.slice(at, at + 37));
    let received = "";
    let ended = 0;
    for (const [index, chunk] of chunks.entries()) {
      for (const event of feed(client, chunk)) {
        if (event.type === "body-chunk") received += text(event.data);
        if (event.type === "body-end") {
          ended = event.octets;
          expect(index).toBe(chunks.length - 1);
        }
      }
      if (index === Math.floor(chunks.length / 2)) expect(received.length).toBeGreaterThan(0);
    }
    expect(received).toBe(body);
    expect(ended).toBe(body.length);
  });

  it("hands long body pieces out as views of the received chunk, and joins short ones", () => {
    const bodyChunks = (body: string): Uint8Array[] => {
      const client = loggedIn();
      client.send({ keyword: "RETR", message: 1 });
      const input = latin1(`+OK\r\n${body.replace(/^\./gm, "..")}.\r\n`);
      const chunks = client
        .receive(input, 0)
        .flatMap((event) => (event.type === "body-chunk" ? [event.data] : []));
      expect(chunks.map(text).join("")).toBe(body);
      for (const chunk of chunks) expect(chunk.buffer === input.buffer).toBe(chunks.length > 1);
      return chunks;
    };
    // Long lines between the stuffed dots: one view per piece, nothing copied.
    const long = `${"x".repeat(2000)}\r\n`;
    expect(bodyChunks(`${long}.a\r\n${long}.b\r\n${long}`)).toHaveLength(3);
    // A dot on every short line: one joined copy, not one event per line.
    let dotted = "";
    for (let i = 0; i < 50; i++) dotted += `.line ${i}\r\n`;
    expect(bodyChunks(dotted)).toHaveLength(1);
  });

  it("reads LANG listings and the bare AUTH listing as multi-line, LANG tag as one line", () => {
    const client = greeted();
    client.send({ keyword: "LANG" });
    client.send({ keyword: "LANG", tag: "en" });
    client.send({ keyword: "AUTH" });
    const events = feed(client, "+OK\r\nen English\r\n.\r\n+OK en\r\n+OK\r\nPLAIN\r\n.\r\n");
    expect(events.map((e) => (e.type === "response-received" ? e.lines : "?"))).toEqual([
      ["en English"],
      undefined,
      ["PLAIN"],
    ]);
  });
});

describe("state (RFC 1939 section 3, states.ts)", () => {
  it("enters TRANSACTION on +OK to PASS, and stays in AUTHORIZATION on -ERR", () => {
    const client = greeted();
    client.send({ keyword: "USER", name: "mrose" });
    feed(client, "+OK\r\n");
    expect(client.state).toBe("AUTHORIZATION");
    client.send({ keyword: "PASS", password: "wrong" });
    feed(client, "-ERR [AUTH] no\r\n");
    expect(client.state).toBe("AUTHORIZATION");
    client.send({ keyword: "APOP", name: "mrose", digest: "c4c9334bac560ecc979e58001b3e22fb" });
    feed(client, "+OK\r\n");
    expect(client.state).toBe("TRANSACTION");
  });

  it.each<[string, Command]>([
    ["STAT", { keyword: "STAT" }],
    ["RETR", { keyword: "RETR", message: 1 }],
    ["NOOP", { keyword: "NOOP" }],
  ])("refuses to send %s before authentication", (_, command) => {
    const client = greeted();
    expectLocal(() => client.send(command));
    expect(sent(client)).toBe("");
  });

  it.each<[string, Command]>([
    ["USER", { keyword: "USER", name: "x" }],
    ["STLS", { keyword: "STLS" }],
    ["UTF8", { keyword: "UTF8" }],
    ["AUTH", { keyword: "AUTH", mechanism: "PLAIN" }],
  ])("refuses to send %s after login", (_, command) => {
    const client = loggedIn();
    expectLocal(() => client.send(command));
    expect(sent(client)).toBe("");
  });

  it("refuses an argument that cannot go on the wire as invalid-argument", () => {
    const client = loggedIn();
    expectLocal(() => client.send({ keyword: "RETR", message: 0 }), "invalid-argument");
    expectLocal(() => client.send({ keyword: "TOP", message: 1, lines: -1 }), "invalid-argument");
    const early = greeted();
    expectLocal(() => early.send({ keyword: "USER", name: "a\r\nDELE 1" }), "invalid-argument");
    expect(sent(early)).toBe("");
    expect(client.pending).toEqual([]);
  });

  it("closes after QUIT, in AUTHORIZATION and in TRANSACTION", () => {
    const early = greeted();
    early.send({ keyword: "QUIT" });
    feed(early, "+OK bye\r\n");
    expect(early.state).toBe("CLOSED");
    const late = loggedIn();
    late.send({ keyword: "QUIT" });
    expect(sent(late)).toBe("QUIT\r\n");
    feed(late, "+OK bye\r\n");
    expect(late.state).toBe("CLOSED");
    expectLocal(() => late.send({ keyword: "NOOP" }));
    expect(late.receive(new Uint8Array(0), 0)).toEqual([]);
  });

  it("refuses to send anything behind QUIT: the server closes after answering it", () => {
    const client = loggedIn();
    client.send({ keyword: "QUIT" });
    expectLocal(() => client.send({ keyword: "NOOP" }));
    expect(sent(client)).toBe("QUIT\r\n");
  });

  it("pipelines commands within a state", () => {
    const client = loggedIn();
    client.send({ keyword: "STAT" });
    client.send({ keyword: "DELE", message: 1 });
    expect(client.pending.map((c) => c.keyword)).toEqual(["STAT", "DELE"]);
    expect(sent(client)).toBe("STAT\r\nDELE 1\r\n");
  });
});

describe("AUTH (RFC 5034)", () => {
  it("puts a short initial response on the AUTH line", () => {
    const client = greeted();
    client.sendAuth("PLAIN", "AG1yb3NlAHRhbnN0YWFm");
    expect(sent(client)).toBe("AUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\n");
    expect(feed(client, "+OK logged in\r\n")[0]).toMatchObject({ status: { ok: true } });
    expect(client.state).toBe("TRANSACTION");
  });

  it("sends an empty initial response as `=`", () => {
    const client = greeted();
    client.sendAuth("EXTERNAL", "");
    expect(sent(client)).toBe("AUTH EXTERNAL =\r\n");
  });

  it("sends bare AUTH when there is no initial response, and reports challenges", () => {
    const client = greeted();
    client.sendAuth("LOGIN", null);
    expect(sent(client)).toBe("AUTH LOGIN\r\n");
    expect(feed(client, "+ VXNlcm5hbWU6\r\n")).toEqual([
      {
        type: "continuation-received",
        command: { keyword: "AUTH", mechanism: "LOGIN" },
        data: "VXNlcm5hbWU6",
      },
    ]);
    client.sendSaslResponse("bXJvc2U=");
    expect(sent(client)).toBe("bXJvc2U=\r\n");
    expect(feed(client, "+\r\n")).toMatchObject([{ type: "continuation-received", data: "" }]);
    client.sendSaslResponse("*");
    expect(sent(client)).toBe("*\r\n");
    expect(feed(client, "-ERR cancelled\r\n")).toMatchObject([
      { type: "response-received", status: { ok: false } },
    ]);
    expect(client.state).toBe("AUTHORIZATION");
  });

  it("keeps an AUTH line of exactly 255 octets with its initial response", () => {
    const client = greeted();
    const response = "A".repeat(255 - "AUTH XOAUTH2 \r\n".length);
    client.sendAuth("XOAUTH2", response);
    expect(sent(client)).toBe(`AUTH XOAUTH2 ${response}\r\n`);
  });

  it("holds back an initial response that would pass 255 octets and sends it for the first challenge", () => {
    const client = greeted();
    const response = "A".repeat(256 - "AUTH XOAUTH2 \r\n".length);
    client.sendAuth("XOAUTH2", response);
    expect(sent(client)).toBe("AUTH XOAUTH2\r\n");
    expect(feed(client, "+ \r\n")).toEqual([]);
    expect(sent(client)).toBe(`${response}\r\n`);
    expect(feed(client, "+ eyJzdGF0dXMiOiI0MDEifQ==\r\n")).toMatchObject([
      { type: "continuation-received", data: "eyJzdGF0dXMiOiI0MDEifQ==" },
    ]);
    client.sendSaslResponse("");
    expect(sent(client)).toBe("\r\n");
    feed(client, "-ERR [AUTH] invalid token\r\n");
    expect(client.state).toBe("AUTHORIZATION");
  });

  it("forgets a held-back initial response when AUTH fails at once", () => {
    const client = greeted();
    client.sendAuth("XOAUTH2", "A".repeat(300));
    sent(client);
    feed(client, "-ERR Unsupported SASL mechanism\r\n");
    client.sendAuth("PLAIN", null);
    sent(client);
    expect(feed(client, "+ \r\n")).toMatchObject([{ type: "continuation-received" }]);
    expect(sent(client)).toBe("");
  });

  it("refuses to send another command while AUTH is in progress", () => {
    const client = greeted();
    client.sendAuth("LOGIN", null);
    expectLocal(() => client.send({ keyword: "CAPA" }));
    expectLocal(() => client.sendAuth("PLAIN", "x"));
  });

  it("refuses a SASL response with no exchange in progress, or with a line ending in it", () => {
    const client = greeted();
    expectLocal(() => client.sendSaslResponse("abc"));
    client.sendAuth("LOGIN", null);
    expectLocal(() => client.sendSaslResponse("abc\r\nQUIT"), "invalid-argument");
  });

  it("refuses a bad mechanism name as invalid-argument", () => {
    expectLocal(() => greeted().sendAuth("BAD NAME", null), "invalid-argument");
  });
});

describe("STLS (RFC 2595 section 4)", () => {
  it("caches CAPA and forgets it after STLS", () => {
    const client = greeted();
    expect(client.capabilities).toBeNull();
    client.send({ keyword: "CAPA" });
    feed(client, "+OK\r\nSTLS\r\nSASL PLAIN\r\n.\r\n");
    expect(client.capabilities?.get("SASL")).toEqual(["PLAIN"]);
    client.send({ keyword: "STLS" });
    feed(client, "+OK begin\r\n");
    expect(client.awaitingTls).toBe(true);
    expect(client.capabilities).toBeNull();
  });

  it("keeps no capabilities from a CAPA -ERR", () => {
    const client = greeted();
    client.send({ keyword: "CAPA" });
    feed(client, "-ERR unknown command\r\n");
    expect(client.capabilities).toBeNull();
  });

  it("drops what the server sent behind its STLS reply and ignores input until completeTls", () => {
    const client = greeted();
    client.send({ keyword: "STLS" });
    // The response injection flaw: a forged CAPA reply in the same segment as the +OK.
    const events = feed(client, "+OK begin TLS\r\n+OK\r\nSASL PLAIN\r\n.\r\n");
    expect(events).toEqual([
      {
        type: "response-received",
        command: { keyword: "STLS" },
        status: { ok: true, text: "begin TLS" },
      },
    ]);
    expect(feed(client, "+OK more forged bytes\r\n")).toEqual([]);
    expectLocal(() => client.send({ keyword: "CAPA" }));
    client.completeTls();
    expect(client.awaitingTls).toBe(false);
    client.send({ keyword: "CAPA" });
    expect(feed(client, "+OK\r\nUSER\r\n.\r\n")).toMatchObject([{ lines: ["USER"] }]);
    expect(client.capabilities?.has("SASL")).toBe(false);
  });

  it("refuses to send behind a pending STLS", () => {
    const client = greeted();
    client.send({ keyword: "STLS" });
    expectLocal(() => client.send({ keyword: "USER", name: "mrose" }));
  });

  it("goes on in clear after STLS -ERR", () => {
    const client = greeted();
    client.send({ keyword: "STLS" });
    feed(client, "-ERR not available\r\n");
    expect(client.awaitingTls).toBe(false);
    client.send({ keyword: "CAPA" });
    expect(sent(client)).toBe("STLS\r\nCAPA\r\n");
  });

  it("throws from completeTls with no handshake pending", () => {
    expectLocal(() => greeted().completeTls());
  });
});

describe("EOF and limits", () => {
  it("throws connection-closed on EOF in the middle of a reply", () => {
    const client = loggedIn();
    client.send({ keyword: "STAT" });
    feed(client, "+OK 2");
    expectRemote(() => client.receive(new Uint8Array(0), 0), "connection-closed");
    expect(client.state).toBe("CLOSED");
  });

  it("throws connection-closed on EOF in the middle of a body", () => {
    const client = loggedIn();
    client.send({ keyword: "RETR", message: 1 });
    feed(client, "+OK\r\nSubject: x\r\n");
    expectRemote(() => client.receive(new Uint8Array(0), 0), "connection-closed");
  });

  it("closes quietly on EOF with nothing pending", () => {
    const client = loggedIn();
    expect(client.receive(new Uint8Array(0), 0)).toEqual([]);
    expect(client.state).toBe("CLOSED");
  });

  it("throws message-too-large past maxBodyOctets, for bodies and listings", () => {
    const body = loggedIn({ maxBodyOctets: 10 });
    body.send({ keyword: "RETR", message: 1 });
    expectRemote(() => feed(body, "+OK\r\n0123456789X\r\n.\r\n"), "message-too-large");
    expect(body.state).toBe("CLOSED");
    const listing = loggedIn({ maxBodyOctets: 10 });
    listing.send({ keyword: "UIDL" });
    expectRemote(() => feed(listing, "+OK\r\n1 abcdefgh\r\n.\r\n"), "message-too-large");
  });

  it("caps one command's body with send's maxBodyOctets; the next command is not capped", () => {
    const client = loggedIn();
    client.send({ keyword: "RETR", message: 1 }, { maxBodyOctets: 10 });
    const events = feed(client, "+OK\r\n01234567\r\n.\r\n");
    expect(events.at(-1)).toMatchObject({ type: "body-end", octets: 10 });
    client.send({ keyword: "RETR", message: 2 });
    expect(feed(client, `+OK\r\n${"x".repeat(100)}\r\n.\r\n`).at(-1)).toMatchObject({
      type: "body-end",
      octets: 102,
    });
    client.send({ keyword: "RETR", message: 3 }, { maxBodyOctets: 10 });
    expectRemote(() => feed(client, "+OK\r\n0123456789X"), "message-too-large");
    expect(client.state).toBe("CLOSED");
  });

  it("caps listings at limits.listingOctets even without maxBodyOctets", () => {
    const client = loggedIn({ limits: { listingOctets: 64 } });
    client.send({ keyword: "CAPA" });
    expect(feed(client, `+OK\r\n${"X-CAP\r\n".repeat(9)}.\r\n`)).toHaveLength(1);
    client.send({ keyword: "UIDL" });
    expectRemote(() => feed(client, `+OK\r\n${"1 uid\r\n".repeat(100)}`), "message-too-large");
  });

  it("accepts a body of exactly maxBodyOctets", () => {
    const client = loggedIn({ maxBodyOctets: 10 });
    client.send({ keyword: "RETR", message: 1 });
    const events = feed(client, "+OK\r\n01234567\r\n.\r\n");
    expect(events.at(-1)).toMatchObject({ type: "body-end", octets: 10 });
  });

  it("throws line-too-long for a status line past responseLineOctets", () => {
    const client = loggedIn({ limits: { responseLineOctets: 1024 } });
    client.send({ keyword: "NOOP" });
    expectRemote(() => feed(client, `+OK ${"x".repeat(1100)}`), "line-too-long");
    expect(client.state).toBe("CLOSED");
  });

  it("accepts a 512-octet status line however low the limit is set (RFC 2449 section 4)", () => {
    const client = loggedIn({ limits: { responseLineOctets: 100 } });
    client.send({ keyword: "NOOP" });
    const line = `+OK ${"x".repeat(512 - 6)}\r\n`;
    expect(line.length).toBe(512);
    expect(feed(client, line)).toHaveLength(1);
  });
});

describe("UTF-8 mode (RFC 6856 section 2)", () => {
  it("is on once the server accepts UTF8, and not on a refusal", () => {
    const accepted = greeted();
    expect(accepted.utf8).toBe(false);
    accepted.send({ keyword: "UTF8" }, { now: 0 });
    feed(accepted, "+OK UTF8 enabled\r\n");
    expect(accepted.utf8).toBe(true);
    const refused = greeted();
    refused.send({ keyword: "UTF8" }, { now: 0 });
    feed(refused, "-ERR no\r\n");
    expect(refused.utf8).toBe(false);
  });
});
