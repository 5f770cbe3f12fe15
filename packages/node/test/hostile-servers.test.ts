/**
 * The client (`connect` and core's `Pop3Client`) against servers that misbehave on purpose:
 * raw TCP peers that split, repeat, forge, truncate or stall replies. The rule throughout:
 * a reply is only ever matched to the command it answers, a message is complete only when its
 * terminator arrived, and anything else is an error, never a guess.
 */
import { Pop3Error, RemoteProtocolError } from "@apop/core";
import { afterEach, describe, expect, it } from "vitest";
import { type RawPeer, rawServer } from "@apop/vitest-preset/raw-peer";
import { ManualClock } from "../../core/test/helpers/manual-clock.ts";
import { connect } from "../src/index.ts";
import { until } from "./helpers/fixtures.ts";

type Script = (peer: RawPeer, line: string) => Promise<void> | void;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A raw server: sends `greeting` (its parts as separate writes), then answers each line. */
async function scripted(
  greeting: string | readonly string[],
  answer: Script,
): Promise<{ port: number; lines: string[]; peers: RawPeer[] }> {
  const lines: string[] = [];
  const server = await rawServer(async (peer) => {
    for (const part of typeof greeting === "string" ? [greeting] : greeting) {
      await peer.write(part);
    }
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      lines.push(line);
      // Every script takes any USER/PASS, so tests can reach TRANSACTION with `loggedIn`.
      if (/^(USER|PASS) /.test(line)) await peer.write("+OK\r\n");
      else await answer(peer, line);
    }
  });
  servers.push(server);
  return { port: server.port, lines, peers: server.peers };
}

/** Writes each part separately, waiting for the socket to take it (distinct segments). */
async function writeParts(peer: RawPeer, parts: readonly string[]): Promise<void> {
  for (const part of parts) {
    await peer.write(part);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const open = (port: number, options: Partial<Parameters<typeof connect>[0]> = {}) =>
  connect({ host: "127.0.0.1", port, tls: "none", ...options });

/** Connects and logs in with USER/PASS (the scripts accept any), into TRANSACTION. */
async function loggedIn(port: number, options: Partial<Parameters<typeof connect>[0]> = {}) {
  const client = await open(port, options);
  await client.login({ user: "u", password: "p", method: "user", allowPlaintext: true });
  return client;
}

const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

const remoteCode = (error: unknown): string | null =>
  RemoteProtocolError.isInstance(error) ? error.code : null;

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

describe("greetings", () => {
  it("reads a greeting sent one byte at a time, APOP timestamp included", async () => {
    const greeting = "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>\r\n";
    const server = await scripted([...greeting], (peer, line) =>
      peer.write(line === "QUIT" ? "+OK bye\r\n" : "-ERR no\r\n"),
    );
    const client = await open(server.port);
    expect(client.greeting.timestamp).toBe("<1896.697170952@dbc.mtview.ca.us>");
    await client.quit();
  });

  it("a second greeting in the same segment fails the connect", async () => {
    const server = await scripted("+OK one\r\n+OK two\r\n", () => {});
    const error = await failure(open(server.port));
    expect(remoteCode(error)).toBe("unexpected-data");
  });

  it("a second greeting sent later is an error for the next command, never its reply", async () => {
    const server = await scripted(["+OK one\r\n"], (peer, line) =>
      peer.write(line === "CAPA" ? "-ERR the real reply\r\n" : "+OK\r\n"),
    );
    const client = await open(server.port);
    await server.peers[0]?.write("+OK two\r\n");
    await until(() => client.state === "CLOSED", "the client to see the stray line");
    const error = await failure(client.capa());
    expect(remoteCode(error)).toBe("unexpected-data");
    expect(server.lines).toEqual([]);
  });

  it("bytes after an incomplete greeting line, then its end: a line after the greeting is refused", async () => {
    const server = await scripted(["+OK hel", "lo\r\n+OK 1 100", "\r\n"], () => {});
    const error = await failure(open(server.port));
    expect(remoteCode(error)).toBe("unexpected-data");
  });
});

describe("unsolicited data (EAST `unsolicited`)", () => {
  it("a scan listing sent right after the greeting is never taken as the reply to CAPA", async () => {
    const server = await scripted("+OK ready\r\n", (peer, line) =>
      peer.write(line === "CAPA" ? "+OK\r\nUSER\r\n.\r\n" : "+OK\r\n"),
    );
    const client = await open(server.port);
    // In its own segment once the client is greeted (in the greeting's segment, connect
    // itself fails: see "a second greeting in the same segment").
    await server.peers[0]?.write("+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n");
    await until(() => client.state === "CLOSED", "the client to see the stray listing");
    const error = await failure(client.capa());
    expect(remoteCode(error)).toBe("unexpected-data");
    // Nothing was sent after the stray listing: no command is answered by forged bytes.
    expect(server.lines).toEqual([]);
  });

  it("half a line sent between two replies is an error, not the start of the next reply", async () => {
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "NOOP") await writeParts(peer, ["+OK\r\n", "+OK forged"]);
      else await peer.write("+OK fine\r\n");
    });
    const client = await loggedIn(server.port);
    // TCP may deliver the stray bytes with the NOOP reply (then NOOP itself fails) or after
    // it (then the next command does); either way they are refused, never read as a reply.
    const noop = await client.noop().then(
      () => null,
      (error: unknown) => error,
    );
    await until(() => client.state === "CLOSED", "the client to see the stray bytes");
    const error = noop ?? (await failure(client.rset()));
    expect(remoteCode(error)).toBe("unexpected-data");
    expect(server.lines).toEqual(["USER u", "PASS p", "NOOP"]);
  });

  it("a server that hangs up while the client is idle: the next command says so", async () => {
    const server = await scripted("+OK ready\r\n", async (peer) => {
      await peer.write("+OK\r\n");
      peer.close();
    });
    const client = await loggedIn(server.port);
    await client.noop();
    await until(() => client.state === "CLOSED", "the client to see the close");
    const error = await failure(client.noop());
    expect(remoteCode(error)).toBe("connection-closed");
  });
});

describe("status lines", () => {
  it("accepts +OK with no text at all (RFC 1957), and refuses a STAT reply without numbers", async () => {
    const server = await scripted("+OK\r\n", (peer, line) =>
      peer.write(line === "QUIT" ? "+OK\r\n" : "+OK\r\n"),
    );
    const client = await loggedIn(server.port);
    expect(client.greeting.text).toBe("");
    await client.noop();
    // STAT needs "nn mm" (RFC 1939 section 5); "+OK" alone is no maildrop size.
    const error = await failure(client.stat());
    expect(remoteCode(error)).toBe("bad-response");
  });

  it("keeps response codes it does not know, and reads hierarchical and lower-case ones (RFC 2449 section 8)", async () => {
    const replies: Record<string, string> = {
      NOOP: "-ERR [SYS/TEMP/FOO] weird\r\n",
      RSET: "-ERR [in-use] lower case\r\n",
      DELE: "-ERR [X-VENDOR/THING] vendor\r\n",
      STAT: "-ERR [IN-USE/SHARED] deeper\r\n",
    };
    const server = await scripted("+OK\r\n", (peer, line) =>
      peer.write(replies[line.split(" ")[0] as string] ?? "+OK\r\n"),
    );
    const client = await loggedIn(server.port);
    const seen: [string | undefined, string, string][] = [];
    const calls = [
      () => client.noop(),
      () => client.rset(),
      () => client.dele(1),
      () => client.stat(),
    ];
    for (const call of calls) {
      const error = await failure(call());
      if (!Pop3Error.isInstance(error)) throw error;
      seen.push([error.responseCode, error.code, error.serverText]);
    }
    expect(seen).toEqual([
      ["SYS/TEMP/FOO", "sys-temp", "weird"],
      ["IN-USE", "in-use", "lower case"],
      ["X-VENDOR/THING", "err", "vendor"],
      ["IN-USE/SHARED", "in-use", "deeper"],
    ]);
  });
});

describe("multi-line replies", () => {
  const body = "Subject: dots\r\n\r\n..leading dot\r\n...\r\n.. \r\nend\r\n";
  const unstuffed = "Subject: dots\r\n\r\n.leading dot\r\n..\r\n. \r\nend\r\n";

  async function retrWith(parts: readonly string[]): Promise<string> {
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "RETR 1") await writeParts(peer, parts);
      else await peer.write("+OK\r\n");
    });
    const client = await loggedIn(server.port);
    const got = text(await client.retrBytes(1));
    await client.quit();
    return got;
  }

  it("unstuffs `..` lines and ends at a terminator split as CR | LF. | CRLF", async () => {
    const got = await retrWith(["+OK 1 message\r\n", body.slice(0, -1), "\n.", "\r\n"]);
    expect(got).toBe(unstuffed);
  });

  it("ends at a terminator that arrives as a write of its own", async () => {
    const got = await retrWith(["+OK\r\n", body, ".\r\n"]);
    expect(got).toBe(unstuffed);
  });

  it("survives a reply written one byte at a time", async () => {
    const got = await retrWith([..."+OK\r\n", ...body, ...".\r\n"]);
    expect(got).toBe(unstuffed);
  });

  it("a bare-LF terminator does not end the message: it times out, nothing is returned as complete", async () => {
    const clock = new ManualClock();
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "RETR 1") await peer.write("+OK\r\nfirst line\n.\nsecond\n.\n");
    });
    const client = await loggedIn(server.port, { clock, replyTimeoutMs: 5000 });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of client.retr(1)) chunks.push(text(chunk));
    })().then(
      () => "complete",
      (error: unknown) => error,
    );
    await until(() => chunks.join("").endsWith("second\n.\n"), "the body to arrive");
    clock.advance(5000);
    const outcome = await reading;
    expect(remoteCode(outcome)).toBe("timeout");
    // RFC 1939 section 3: lines end in CRLF; "\n.\n" is data, delivered as received.
    expect(chunks.join("")).toBe("first line\n.\nsecond\n.\n");
    await server.peers[0]?.closed;
  });

  it("a server that closes mid-RETR fails the RETR with connection-closed", async () => {
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "RETR 1") {
        await peer.write("+OK\r\nSubject: cut\r\n\r\nhalf a mess");
        peer.close();
      }
    });
    const client = await loggedIn(server.port);
    const error = await failure(client.retrBytes(1));
    expect(remoteCode(error)).toBe("connection-closed");
  });

  it("a lone `.` then EOF is no terminator", async () => {
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "RETR 1") {
        await peer.write("+OK\r\nbody\r\n.");
        peer.socket.end();
      }
    });
    const client = await loggedIn(server.port);
    const error = await failure(client.retrBytes(1));
    expect(remoteCode(error)).toBe("connection-closed");
  });

  it("stops a RETR far larger than LIST said at maxMessageOctets, and closes", async () => {
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "LIST 1") await peer.write("+OK 1 100\r\n");
      if (line === "RETR 1") {
        await peer.write("+OK 100 octets\r\n");
        const block = `${"x".repeat(1022)}\r\n`.repeat(1024);
        for (let i = 0; i < 10 && !peer.isClosed; i++) await peer.write(block).catch(() => {});
      }
    });
    const client = await loggedIn(server.port, { maxMessageOctets: 64 * 1024 });
    expect(await client.list(1)).toEqual({ message: 1, size: 100 });
    const error = await failure(client.retrBytes(1));
    expect(remoteCode(error)).toBe("message-too-large");
    await server.peers[0]?.closed;
  });

  it("a stall mid-reply times out and closes the connection", async () => {
    const clock = new ManualClock();
    const server = await scripted("+OK ready\r\n", async (peer, line) => {
      if (line === "LIST") await peer.write("+OK\r\n1 100\r\n2 2");
    });
    const client = await loggedIn(server.port, { clock, replyTimeoutMs: 30_000 });
    const listing = failure(client.list());
    await until(() => server.lines.includes("LIST"), "LIST to arrive");
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock.advance(30_000);
    expect(remoteCode(await listing)).toBe("timeout");
    await server.peers[0]?.closed;
  });

  it("takes a CAPA of 100,000 lines, and refuses one past limits.listingOctets", async () => {
    const capa = `+OK\r\n${Array.from({ length: 100_000 }, (_, i) => `X-CAP-${i} arg\r\n`).join("")}.\r\n`;
    const server = await scripted("+OK ready\r\n", (peer, line) =>
      peer.write(line === "CAPA" ? capa : "+OK\r\n"),
    );
    const client = await open(server.port);
    expect((await client.capa())?.size).toBe(100_000);
    await client.quit();
    const small = await open(server.port, { limits: { listingOctets: 64 * 1024 } });
    expect(remoteCode(await failure(small.capa()))).toBe("message-too-large");
  });
});

describe("listings from a confused server", () => {
  it("hands over UIDL lines as sent: duplicates, over 70 characters, spaces after the uid", async () => {
    const long = "u".repeat(100);
    const server = await scripted("+OK ready\r\n", (peer, line) =>
      peer.write(
        line === "UIDL"
          ? `+OK\r\n1 same\r\n2 same\r\n3 ${long}\r\n4 first-field trailing words\r\n.\r\n`
          : "+OK\r\n",
      ),
    );
    const client = await loggedIn(server.port);
    // RFC 1939 section 7: unique-ids are opaque; judging them is the program's job (apps/client).
    expect(await client.uidl()).toEqual([
      { message: 1, uid: "same" },
      { message: 2, uid: "same" },
      { message: 3, uid: long },
      { message: 4, uid: "first-field" },
    ]);
  });

  it("hands over a scan listing in the server's order", async () => {
    const server = await scripted("+OK ready\r\n", (peer, line) =>
      peer.write(line === "LIST" ? "+OK\r\n2 20\r\n1 10\r\n.\r\n" : "+OK\r\n"),
    );
    const client = await loggedIn(server.port);
    expect(await client.list()).toEqual([
      { message: 2, size: 20 },
      { message: 1, size: 10 },
    ]);
  });
});

describe("APOP challenges a client must refuse (CVE-2007-1558)", () => {
  it.each([
    ["a control character", "+OK hi <12\x01.34@host>\r\n"],
    ["two timestamps", "+OK hi <1.2@a> <3.4@b>\r\n"],
    ["no @", "+OK hi <1234.5678>\r\n"],
    ["8-bit bytes", "+OK hi <1\xe9.2@host>\r\n"],
    ["a space", "+OK hi <1 2@host>\r\n"],
  ])("%s: no APOP digest is ever sent", async (_, greeting) => {
    const server = await scripted(greeting, (peer, line) =>
      peer.write(line === "CAPA" ? "+OK\r\nUSER\r\n.\r\n" : "+OK\r\n"),
    );
    const client = await open(server.port);
    expect(client.greeting.timestamp).toBeNull();
    const asked = await failure(client.login({ user: "u", password: "p", method: "apop" }));
    expect(remoteCode(asked)).toBe("bad-timestamp");
    // `auto` does not fall back to a password in clear either.
    await failure(client.login({ user: "u", password: "p" }));
    expect(server.lines.some((line) => /^(APOP|USER|PASS|AUTH)/i.test(line))).toBe(false);
  });
});
