/**
 * The server (`createPop3Server`) against clients that misbehave on purpose over real
 * sockets: everything pipelined in one write or one byte per write, clients that never read,
 * dribble bytes, hang up at the worst moment, send NULs, huge lines or thousands of bad
 * commands, speak TLS to the plain port or plain text to the TLS port. What must hold: replies
 * strictly in order and byte-exact, buffers bounded (asserted on the transport's counters),
 * nothing deleted unless QUIT entered UPDATE, the maildrop released, the server still serving.
 */
import * as tls from "node:tls";
import { type Maildrop, type MailStore, MemoryStore, type ServeEvent } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { RawPeer } from "@apop/vitest-preset/raw-peer";
import { ManualClock } from "../../core/test/helpers/manual-clock.ts";
import type { TransportStats } from "../src/index.ts";
import { latin1, startServer, type TestServer, TRICKY, until } from "./helpers/fixtures.ts";

const pki = perFileTestPki();

/** About 3 MiB with dot lines, bare LFs and no final newline; and what must arrive. */
function bigMessage(): { stored: Uint8Array; arrives: Uint8Array } {
  const unit = "line of text\n.leading dot\n.\n..\r\n";
  const count = Math.ceil((3 * 1024 * 1024) / unit.length);
  const body = unit.repeat(count);
  return {
    stored: latin1(`Subject: big\n\n${body}tail`),
    arrives: latin1(`Subject: big\r\n\r\n${body.replaceAll(/\r?\n/g, "\r\n")}tail\r\n`),
  };
}

const BIG = bigMessage();
const MAILBOX = [...TRICKY, BIG];

function mailStore(): MemoryStore {
  return new MemoryStore({
    mailboxes: { alice: MAILBOX.map((m) => m.stored), bob: [latin1("Subject: b\r\n\r\nb\r\n")] },
    chunkSize: 64 * 1024,
  });
}

/** The multi-line replies of RFC 1939 section 3 (and CAPA), by command line. */
function isMultiline(command: string): boolean {
  const [keyword = "", ...args] = command.toUpperCase().split(" ");
  if (keyword === "CAPA" || keyword === "RETR" || keyword === "TOP") return true;
  return (keyword === "LIST" || keyword === "UIDL") && args.length === 0;
}

/**
 * Splits what the server sent into one reply per command, in order: a status line, and for a
 * `+OK` to a multi-line command, the block unstuffed (RFC 1939 section 3). Trailing bytes that
 * no command asked for are returned as `extra`.
 */
function splitReplies(
  output: string,
  commands: readonly string[],
): { replies: { status: string; body?: string }[]; extra: string } {
  const replies: { status: string; body?: string }[] = [];
  let at = 0;
  for (const command of commands) {
    const end = output.indexOf("\r\n", at);
    if (end === -1) break;
    const status = output.slice(at, end);
    at = end + 2;
    if (!(status.startsWith("+OK") && isMultiline(command))) {
      replies.push({ status });
      continue;
    }
    const lines: string[] = [];
    for (;;) {
      const next = output.indexOf("\r\n", at);
      if (next === -1) throw new Error(`unterminated block for ${command}`);
      const line = output.slice(at, next);
      at = next + 2;
      if (line === ".") break;
      lines.push(line.startsWith(".") ? line.slice(1) : line);
    }
    replies.push({ status, body: lines.map((line) => `${line}\r\n`).join("") });
  }
  return { replies, extra: output.slice(at) };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** The commands of a whole session, and what each reply must be. */
function wholeSession(): {
  commands: string[];
  check: (replies: ReturnType<typeof splitReplies>["replies"]) => void;
} {
  const commands = [
    "CAPA",
    "USER alice",
    "PASS wonderland",
    "STAT",
    "LIST",
    "UIDL",
    ...MAILBOX.map((_, i) => `LIST ${i + 1}`),
    ...MAILBOX.map((_, i) => `RETR ${i + 1}`),
    "TOP 3 0",
    "DELE 2",
    "RETR 2",
    "XYZZY",
    "NOOP",
    "RSET",
    "DELE 1",
    "RETR 1",
    "QUIT",
  ];
  const check = (replies: ReturnType<typeof splitReplies>["replies"]): void => {
    expect(replies).toHaveLength(commands.length);
    // The first reply to each command line (RETR 1 and RETR 2 come twice).
    const byCommand = {
      get: (command: string) => replies[commands.indexOf(command)],
    };
    // Strictly in order: each reply is the one its command asked for.
    expect(byCommand.get("CAPA")?.body).toMatch(/^TOP\r\n/);
    expect(byCommand.get("PASS wonderland")?.status).toMatch(/^\+OK Logged in/);
    expect(byCommand.get("STAT")?.status).toMatch(/^\+OK 12 \d+$/);
    expect(byCommand.get("LIST")?.body?.split("\r\n")).toHaveLength(MAILBOX.length + 1);
    MAILBOX.forEach((message, i) => {
      expect(byCommand.get(`RETR ${i + 1}`)?.body, `RETR ${i + 1}`).toBe(text(message.arrives));
    });
    expect(byCommand.get("TOP 3 0")?.body).toBe("Subject: dots\r\n\r\n");
    const deletedRetr = replies[commands.indexOf("RETR 2", commands.indexOf("DELE 2"))];
    expect(deletedRetr?.status).toBe("-ERR Message 2 is deleted");
    expect(byCommand.get("XYZZY")?.status).toBe("-ERR Unknown command: XYZZY");
    expect(byCommand.get("RSET")?.status).toMatch(/^\+OK Maildrop has 12 messages/);
    expect(byCommand.get("QUIT")?.status).toBe("+OK POP3 server signing off (11 messages left)");
  };
  return { commands, check };
}

function statsOf(served: TestServer<MailStore>): TransportStats {
  const stats = served.server.connections()[0]?.stats;
  if (stats == null) throw new Error("no open connection");
  return stats;
}

function closedEvent(served: TestServer<MailStore>) {
  const closed = served.events.find((e) => e.type === "connection-closed");
  return closed?.type === "connection-closed" ? closed : undefined;
}

function sessionEvents(served: TestServer<MailStore>): ServeEvent[] {
  return served.events.flatMap((e) => (e.type === "session-event" ? [e.event] : []));
}

describe("pipelining (RFC 2449 section 6.6)", () => {
  it("answers a whole session sent in one write, RETRs of a 3 MiB message included, byte for byte and in order", async () => {
    const store = mailStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    expect(await raw.readLine()).toMatch(/^\+OK /);
    const { commands, check } = wholeSession();
    await raw.write(commands.map((c) => `${c}\r\n`).join(""));
    const { replies, extra } = splitReplies(await raw.readToEnd(), commands);
    check(replies);
    expect(extra).toBe("");
    // DELE 2 was undone by RSET; DELE 1 stood when QUIT entered UPDATE.
    expect(store.messages("alice").map(text)).toEqual(MAILBOX.slice(1).map((m) => text(m.stored)));
    await served.close();
  });

  it("answers the same session sent one byte per write", async () => {
    const store = mailStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    raw.socket.setNoDelay(true);
    expect(await raw.readLine()).toMatch(/^\+OK /);
    const { commands, check } = wholeSession();
    for (const byte of commands.map((c) => `${c}\r\n`).join("")) await raw.write(byte);
    const { replies, extra } = splitReplies(await raw.readToEnd(), commands);
    check(replies);
    expect(extra).toBe("");
    await served.close();
  });

  it("ignores commands behind QUIT in the same segment: none is answered or applied", async () => {
    const store = mailStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write("USER alice\r\nPASS wonderland\r\nQUIT\r\nDELE 1\r\nNOOP\r\nQUIT\r\n");
    const rest = await raw.readToEnd();
    expect(rest).toMatch(
      /^\+OK Send PASS\r\n\+OK Logged in[^\r]*\r\n\+OK POP3 server signing off[^\r]*\r\n$/,
    );
    expect(store.messages("alice")).toHaveLength(MAILBOX.length);
    await served.close();
  });
});

describe("a client that pipelines and never reads", () => {
  it("RETR after RETR: the server stops reading once it cannot write, and its buffers stay bounded", async () => {
    const store = mailStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    raw.socket.pause();
    // 16 MB of RETRs of the 3 MiB message: answering them all would be about 50 TB.
    const input = `USER alice\r\nPASS wonderland\r\n${`RETR ${MAILBOX.length}\r\n`.repeat(1_600_000)}`;
    raw.socket.write(input);
    await until(
      () => (served.server.connections()[0]?.stats?.backpressureWaits ?? 0) > 0,
      "backpressure",
    );
    // Let it run into the wall: what it holds must not grow with what the client sent.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stats = statsOf(served);
    expect(stats.bytesRead).toBeLessThan(input.length / 8);
    expect(stats.peakBufferedInput).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(stats.peakBufferedOutput).toBeLessThanOrEqual(256 * 1024);
    raw.close();
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(store.isLocked("alice")).toBe(false);
    await served.close();
  });

  it("UIDL after UIDL on a big maildrop: 6 octets of input cannot queue a listing each", async () => {
    // 6 KB of input asks for 20 MB of listings; before the reply budget the server held them all.
    const store = new MemoryStore({
      mailboxes: {
        alice: Array.from({ length: 2000 }, (_, i) => latin1(`Subject: ${i}\r\n\r\nx\r\n`)),
      },
    });
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    raw.socket.pause();
    raw.socket.write(`USER alice\r\nPASS wonderland\r\n${"UIDL\r\n".repeat(1000)}`);
    await until(
      () => (served.server.connections()[0]?.stats?.backpressureWaits ?? 0) > 0,
      "backpressure",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stats = statsOf(served);
    expect(stats.peakBufferedOutput).toBeLessThanOrEqual(256 * 1024);
    // Reading on proves nothing was lost: every UIDL is answered, in order.
    raw.socket.resume();
    await raw.write("QUIT\r\n");
    const output = await raw.readToEnd();
    expect(output.split("+OK Unique-ID listing follows\r\n")).toHaveLength(1001);
    expect(output.endsWith("+OK POP3 server signing off (2000 messages left)\r\n")).toBe(true);
    await served.close();
  });
});

describe("a client that stops reading (injected clock)", () => {
  /** Advances the clock by `step` until the server lets go: the write must be blocked first. */
  async function advanceUntilClosed(
    served: TestServer<MailStore>,
    clock: ManualClock,
    step: number,
  ) {
    await until(() => {
      clock.advance(step);
      return served.server.connectionCount === 0;
    }, "the server to drop the connection");
  }

  it("in the middle of a RETR: dropped after 10 minutes without taking output, maildrop freed, nothing deleted", async () => {
    const clock = new ManualClock();
    const store = mailStore();
    const served = await startServer({ clock, store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    raw.socket.pause();
    raw.socket.write(
      `USER alice\r\nPASS wonderland\r\nDELE 1\r\n${`RETR ${MAILBOX.length}\r\n`.repeat(20)}`,
    );
    await until(
      () => (served.server.connections()[0]?.stats?.backpressureWaits ?? 0) > 0,
      "backpressure",
    );
    // Before this, no timer ran while the server waited to write: the lock was held for ever.
    await advanceUntilClosed(served, clock, 10 * 60 * 1000);
    expect(store.isLocked("alice")).toBe(false);
    expect(store.messages("alice")).toHaveLength(MAILBOX.length);
    expect(closedEvent(served)?.reason).toBe("timeout");
    expect(sessionEvents(served)).toContainEqual({
      type: "limit-exceeded",
      limit: "idleTimeoutMs",
    });
    raw.close();
    await served.close();
  });

  it("before login, with pipelined CAPAs: dropped at the authorization timeout", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock });
    const raw = await RawPeer.connect(served.port);
    raw.socket.pause();
    raw.socket.write("CAPA\r\n".repeat(200_000));
    await until(
      () => (served.server.connections()[0]?.stats?.backpressureWaits ?? 0) > 0,
      "backpressure",
    );
    await advanceUntilClosed(served, clock, 60 * 1000);
    expect(closedEvent(served)?.reason).toBe("timeout");
    expect(sessionEvents(served)).toContainEqual({
      type: "limit-exceeded",
      limit: "authorizationTimeoutMs",
    });
    raw.close();
    await served.close();
  });
});

describe("slow and silent clients (injected clock)", () => {
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

  it("slowloris: a byte now and then is no activity; the login timer fires on time", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock, limits: { authorizationTimeoutMs: 30_000 } });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await until(() => clock.pending > 0, "the deadline to be armed");
    for (const byte of "CAPA") {
      clock.advance(7000);
      await raw.write(byte);
      await settle();
    }
    expect(raw.isClosed).toBe(false);
    clock.advance(2000);
    expect(await raw.readLine()).toBe("-ERR Disconnected for inactivity");
    await raw.closed;
    expect(sessionEvents(served)).toContainEqual({
      type: "limit-exceeded",
      limit: "authorizationTimeoutMs",
    });
    await served.close();
  });

  it("a client that keeps sending valid commands without logging in meets the login deadline", async () => {
    const clock = new ManualClock();
    const served = await startServer({
      clock,
      limits: { authorizationTimeoutMs: 30_000, loginDeadlineMs: 90_000 },
    });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await until(() => clock.pending > 0, "the deadline to be armed");
    for (let i = 0; i < 4; i++) {
      clock.advance(20_000);
      await raw.write("CAPA\r\n");
      expect(await raw.readLine()).toBe("+OK Capability list follows");
      while ((await raw.readLine()) !== ".") {}
    }
    await settle();
    clock.advance(10_000);
    expect(await raw.readLine()).toBe("-ERR Too long without logging in");
    await raw.closed;
    await served.close();
  });

  it("half-open after DELE (FIN, no QUIT): the session ends without UPDATE, nothing deleted", async () => {
    const store = mailStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    raw.socket.end("USER alice\r\nPASS wonderland\r\nDELE 1\r\nDELE 2\r\n");
    const rest = await raw.readToEnd();
    expect(rest).toMatch(/\+OK Message 2 deleted\r\n$/);
    await until(() => served.server.connectionCount === 0, "the server to close");
    expect(store.messages("alice")).toHaveLength(MAILBOX.length);
    expect(closedEvent(served)?.reason).toBe("peer-closed");
    await served.close();
  });
});

describe("bytes no command should hold", () => {
  it("NUL, invalid UTF-8 and control bytes get -ERR; UTF-8 names are fine; the session goes on", async () => {
    const served = await startServer({ allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write(
      Buffer.concat([
        Buffer.from("US\0ER alice\r\n", "latin1"),
        Buffer.from("USER al\xffice\r\n", "latin1"),
        Buffer.from("NOOP\x1b[2J\r\n", "latin1"),
        Buffer.from("USER \u00e5sa\r\n", "utf8"),
        Buffer.from("\r\n", "latin1"),
        Buffer.from("USER alice\r\nPASS wonderland\r\nSTAT\r\nQUIT\r\n", "latin1"),
      ]),
    );
    const lines = (await raw.readToEnd()).split("\r\n");
    expect(lines.slice(0, 9)).toEqual([
      "-ERR Command contains control characters",
      "-ERR Command is not valid UTF-8",
      "-ERR Command contains control characters",
      "+OK Send PASS",
      "-ERR Unknown command",
      "+OK Send PASS",
      expect.stringMatching(/^\+OK Logged in/),
      expect.stringMatching(/^\+OK \d+ \d+$/),
      expect.stringMatching(/^\+OK POP3 server signing off/),
    ]);
    await served.close();
  });

  it("AUTH with a 100 KB initial response, and a 100 KB SASL line: -ERR each, nothing held, still serving", async () => {
    const served = await startServer({ allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write(`AUTH PLAIN ${"A".repeat(100_000)}\r\n`);
    expect(await raw.readLine()).toBe("-ERR Line too long");
    await raw.write("AUTH PLAIN\r\n");
    expect(await raw.readLine()).toBe("+ ");
    await raw.write(`${"B".repeat(100_000)}\r\n`);
    expect(await raw.readLine()).toBe("-ERR SASL response too long");
    expect(statsOf(served).peakBufferedInput).toBeLessThanOrEqual(64 * 1024);
    await raw.write(`AUTH PLAIN ${Buffer.from("\0alice\0wonderland").toString("base64")}\r\n`);
    expect(await raw.readLine()).toMatch(/^\+OK Logged in/);
    await raw.write("QUIT\r\n");
    await raw.readToEnd();
    await served.close();
  });

  it("10,000 bad commands in one write: ten -ERR, one goodbye, closed", async () => {
    const served = await startServer();
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write("BOGUS\r\n".repeat(10_000));
    const lines = (await raw.readToEnd()).split("\r\n");
    expect(lines).toEqual([
      ...Array.from({ length: 10 }, () => "-ERR Unknown command: BOGUS"),
      "-ERR Too many bad commands, closing connection",
      "",
    ]);
    expect(closedEvent(served)?.reason).toBe("too-many-bad-commands");
    await served.close();
  });
});

/** A store whose `commit` waits until the test lets it go. */
class SlowCommitStore implements MailStore {
  readonly inner = mailStore();
  release: () => void = () => {};
  readonly committing: Promise<void>;
  #entered: () => void = () => {};

  constructor() {
    this.committing = new Promise((resolve) => {
      this.#entered = resolve;
    });
  }

  async open(user: string): Promise<Maildrop> {
    const maildrop = await this.inner.open(user);
    return {
      messages: maildrop.messages,
      read: (index) => maildrop.read(index),
      release: () => maildrop.release(),
      commit: async (deleted) => {
        this.#entered();
        await new Promise<void>((resolve) => {
          this.release = resolve;
        });
        await maildrop.commit(deleted);
      },
    };
  }
}

describe("clients that vanish at the worst moment", () => {
  it("during RETR of a big message: the maildrop is released, nothing deleted, the close blamed on the peer", async () => {
    const store = mailStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write(`USER alice\r\nPASS wonderland\r\nDELE 1\r\nRETR ${MAILBOX.length}\r\n`);
    await until(() => raw.pending.length > 100_000, "the body to start");
    raw.close();
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(store.isLocked("alice")).toBe(false);
    expect(store.messages("alice")).toHaveLength(MAILBOX.length);
    // A failed write is the client's doing, not the store's (it was logged as store-failed).
    expect(closedEvent(served)?.reason).toBe("peer-closed");
    await served.close();
  });

  it("during the auth-failure delay: the server finishes the delay and lets go", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock, allowPlaintextAuth: true, authFailureDelayMs: 2000 });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write("USER alice\r\nPASS wrong\r\n");
    await raw.readLine();
    await until(() => sessionEvents(served).some((e) => e.type === "login-failed"), "the failure");
    raw.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(served.server.connectionCount).toBe(1);
    clock.advance(2000);
    await until(() => served.server.connectionCount === 0, "the server to let go");
    await served.close();
  });

  it("during UPDATE: QUIT was received, so the deletes are applied (RFC 1939 section 6)", async () => {
    const store = new SlowCommitStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write("USER alice\r\nPASS wonderland\r\nDELE 1\r\nQUIT\r\n");
    await store.committing;
    raw.close();
    await raw.closed;
    store.release();
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(store.inner.messages("alice")).toHaveLength(MAILBOX.length - 1);
    expect(store.inner.isLocked("alice")).toBe(false);
    expect(sessionEvents(served)).toContainEqual({ type: "update-applied", deleted: 1, ok: true });
    await served.close();
  });

  it("during the STLS handshake: tls-failed at once (no handshake timeout needed), others are served", async () => {
    // The clock never moves: only the hang-up itself can end the handshake.
    const clock = new ManualClock();
    const served = await startServer({ clock, tls: { key: pki.key, cert: pki.cert } });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write("STLS\r\n");
    expect(await raw.readLine()).toBe("+OK Begin TLS negotiation");
    // Half a ClientHello record, then gone.
    await raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]));
    raw.close();
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(closedEvent(served)?.reason).toBe("tls-failed");
    const next = await RawPeer.connect(served.port);
    expect(await next.readLine()).toMatch(/^\+OK/);
    next.close();
    await served.close();
  });
});

describe("the wrong protocol on the port", () => {
  it("the implicit TLS port, connected and hung up without a byte: the slot is freed at once", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock, tls: { key: pki.key, cert: pki.cert } });
    const raw = await RawPeer.connect(served.tlsPort as number);
    await until(() => served.server.connectionCount === 1, "the accept");
    raw.socket.end();
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(closedEvent(served)?.reason).toBe("tls-failed");
    await served.close();
  });

  it("the implicit TLS port given plain POP3: no plaintext reply, closed as tls-failed", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    const raw = await RawPeer.connect(served.tlsPort as number);
    await raw.write("USER alice\r\nPASS wonderland\r\n");
    const answer = await raw.readToEnd();
    expect(answer).not.toMatch(/\+OK|-ERR/);
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(closedEvent(served)?.reason).toBe("tls-failed");
    await served.close();
  });

  it("the STLS port given a TLS ClientHello: the client's handshake fails, nobody logs in, the slot is freed", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    const error = await new Promise<Error>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port: served.port, ca: pki.ca });
      socket.once("secureConnect", () => resolve(new Error("handshake succeeded")));
      socket.once("error", resolve);
    });
    expect(error.message).not.toBe("handshake succeeded");
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(sessionEvents(served).some((e) => e.type === "login-requested")).toBe(false);
    await served.close();
  });
});

describe("STARTTLS command injection, split across segments (EAST command-injection tester)", () => {
  /**
   * Sends `first`, then `second` as another segment before the handshake, then runs TLS and
   * NOOP inside it. Either the handshake fails (the clear bytes reached the TLS layer) or the
   * first reply inside TLS is NOOP's own: CAPA is never answered inside TLS.
   */
  async function inject(first: string, second: string): Promise<string> {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    const raw = await RawPeer.connect(served.port);
    raw.socket.setNoDelay(true);
    await raw.readLine();
    await raw.write(first);
    await new Promise((resolve) => setImmediate(resolve));
    await raw.write(second);
    expect(await raw.readLine()).toBe("+OK Begin TLS negotiation");
    const outcome = await raw
      .startTls({ side: "client", ca: pki.ca })
      .then(async () => {
        await raw.write("NOOP\r\n");
        return raw.readLine();
      })
      .catch(() => "handshake failed");
    raw.close();
    await served.close();
    return outcome ?? "closed";
  }

  it.each([
    ["STLS\\r\\n | CAPA\\r\\n", "STLS\r\n", "CAPA\r\n"],
    ["STLS\\r | \\nCAPA\\r\\n", "STLS\r", "\nCAPA\r\n"],
    ["STLS\\r\\nCA | PA\\r\\n", "STLS\r\nCA", "PA\r\n"],
  ])("%s: CAPA is never answered inside TLS", async (_, first, second) => {
    const outcome = await inject(first, second);
    expect([
      "handshake failed",
      "closed",
      "-ERR NOOP is not valid in the AUTHORIZATION state",
    ]).toContain(outcome);
  });
});
