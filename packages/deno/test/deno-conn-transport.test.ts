// DenoConnTransport over a fake connection: short writes, pulled reads, close, and the
// STLS upgrade's rule that no clear byte is ever read as if it came inside TLS.
import { deepStrictEqual, equal, ok, rejects } from "node:assert";
import { type ByteConn, DenoConnTransport } from "../mod.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (chunk: Uint8Array | null): string | null =>
  chunk === null ? null : new TextDecoder().decode(chunk);

/** A connection fed by the test; writes accept at most `writeLimit` octets a call. */
class FakeConn implements ByteConn {
  readonly written: string[] = [];
  readonly events: string[] = [];
  #incoming: (Uint8Array | null)[] = [];
  #waiting: (() => void) | null = null;
  closed = false;
  pendingReads = 0;

  constructor(readonly writeLimit = Number.POSITIVE_INFINITY) {}

  /** Bytes the peer sent (null: its end of the stream). */
  feed(chunk: string | null): void {
    this.#incoming.push(chunk === null ? null : bytes(chunk));
    this.#waiting?.();
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    this.pendingReads++;
    try {
      while (this.#incoming.length === 0) {
        if (this.closed) throw new Deno.errors.Interrupted("operation canceled");
        await new Promise<void>((resolve) => {
          this.#waiting = resolve;
        });
      }
      const chunk = this.#incoming.shift() as Uint8Array | null;
      if (chunk === null) return null;
      const count = Math.min(chunk.length, buffer.length);
      buffer.set(chunk.subarray(0, count));
      if (count < chunk.length) this.#incoming.unshift(chunk.subarray(count));
      return count;
    } finally {
      this.pendingReads--;
    }
  }

  write(data: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    const count = Math.min(data.length, this.writeLimit);
    this.written.push(new TextDecoder().decode(data.subarray(0, count)));
    return Promise.resolve(count);
  }

  closeWrite(): Promise<void> {
    this.events.push("closeWrite");
    return Promise.resolve();
  }

  close(): void {
    this.events.push("close");
    this.closed = true;
    this.#waiting?.();
  }
}

Deno.test("write loops until the connection has taken every octet", async () => {
  const conn = new FakeConn(3);
  const transport = new DenoConnTransport({ conn });
  await transport.write(bytes("+OK hello\r\n"));
  deepStrictEqual(conn.written, ["+OK", " he", "llo", "\r\n"]);
  equal(transport.stats.bytesWritten, 11);
});

Deno.test("read pulls one chunk when asked, copied, at most readSize octets", async () => {
  const conn = new FakeConn();
  const transport = new DenoConnTransport({ conn, readSize: 4 });
  equal(conn.pendingReads, 0, "nothing is read before core asks");
  conn.feed("USER alice\r\n");
  const first = await transport.read();
  equal(text(first), "USER");
  equal(text(await transport.read()), " ali");
  await rejects(Promise.all([transport.read(), transport.read()]), { code: "invalid-state" });
});

Deno.test("the peer's end of the stream reads as null", async () => {
  const conn = new FakeConn();
  const transport = new DenoConnTransport({ conn });
  conn.feed(null);
  equal(await transport.read(), null);
  equal(await transport.read(), null);
});

Deno.test("close ends a pending read, flushes writes, sends our end, waits for the peer's", async () => {
  const conn = new FakeConn(2);
  const transport = new DenoConnTransport({ conn });
  const reading = transport.read();
  const writing = transport.write(bytes("+OK bye\r\n"));
  const closing = transport.close();
  equal(await reading, null);
  await writing;
  equal(conn.written.join(""), "+OK bye\r\n");
  // Not closed before the peer's end: it may still be reading our last reply.
  await new Promise((resolve) => setTimeout(resolve, 20));
  deepStrictEqual(conn.events, ["closeWrite"]);
  conn.feed("late bytes are dropped\r\n");
  conn.feed(null);
  await closing;
  deepStrictEqual(conn.events, ["closeWrite", "close"]);
  equal(transport.close(), closing, "idempotent");
  await rejects(transport.write(bytes("x")), { code: "connection-closed" });
  equal(await transport.read(), null);
});

/**
 * The transport's timers are unref'd, as a real connection's pending read keeps the program
 * alive; a fake connection does not, so these tests hold the event loop open themselves.
 */
async function keepingAlive<T>(task: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await task();
  } finally {
    clearInterval(timer);
  }
}

Deno.test("close gives up on a silent peer after closeGraceMs", async () => {
  const conn = new FakeConn();
  const transport = new DenoConnTransport({ conn, closeGraceMs: 30 });
  await keepingAlive(() => transport.close());
  deepStrictEqual(conn.events, ["closeWrite", "close"]);
});

Deno.test("abort closes at once", async () => {
  const conn = new FakeConn();
  const transport = new DenoConnTransport({ conn });
  const reading = transport.read();
  transport.abort();
  equal(await reading, null);
  deepStrictEqual(conn.events, ["close"]);
  await transport.close();
});

Deno.test("upgrade: later reads come from the TLS connection only, never the clear one", async () => {
  const clear = new FakeConn();
  const secured = new FakeConn();
  let handshakes = 0;
  const tlsConn = Object.assign(secured, {
    handshake: () => {
      handshakes++;
      return Promise.resolve();
    },
  });
  const transport = new DenoConnTransport({
    conn: clear,
    startTls: (conn) => {
      equal(conn, clear);
      return Promise.resolve(tlsConn);
    },
  });
  clear.feed("+OK Begin TLS\r\n");
  equal(text(await transport.read()), "+OK Begin TLS\r\n");
  // Injected behind the +OK, still waiting in clear: it must never be read.
  clear.feed("+OK injected\r\n");
  secured.feed("-ERR the real reply\r\n");
  equal(transport.secure, false);
  await transport.upgrade?.();
  equal(transport.secure, true);
  equal(handshakes, 1);
  equal(text(await transport.read()), "-ERR the real reply\r\n");
  await transport.write(bytes("QUIT\r\n"));
  deepStrictEqual(secured.written, ["QUIT\r\n"]);
  deepStrictEqual(clear.written, []);
  await rejects(transport.upgrade?.() as Promise<void>, { code: "invalid-state" });
  secured.feed(null);
  await transport.close();
});

Deno.test("upgrade refuses while a read is pending: its bytes would come in clear", async () => {
  const clear = new FakeConn();
  let started = false;
  const transport = new DenoConnTransport({
    conn: clear,
    startTls: () => {
      started = true;
      return Promise.resolve(new FakeConn());
    },
  });
  const reading = transport.read();
  await rejects(transport.upgrade?.() as Promise<void>, { code: "invalid-state" });
  ok(!started);
  clear.feed(null);
  equal(await reading, null);
  await rejects(transport.upgrade?.() as Promise<void>, { code: "connection-closed" });
  await transport.close();
});

Deno.test("a failed handshake closes the connection and ends reads", async () => {
  const clear = new FakeConn();
  const secured = Object.assign(new FakeConn(), {
    handshake: () => Promise.reject(new Deno.errors.InvalidData("invalid peer certificate")),
  });
  const transport = new DenoConnTransport({
    conn: clear,
    startTls: () => Promise.resolve(secured),
  });
  await rejects(transport.upgrade?.() as Promise<void>, /invalid peer certificate/);
  ok(secured.closed);
  equal(transport.secure, false);
  equal(await transport.read(), null);
  ok(String(transport.lastError).includes("invalid peer certificate"));
  await transport.close();
});

Deno.test("a handshake that never finishes times out", async () => {
  const secured = Object.assign(new FakeConn(), { handshake: () => new Promise(() => {}) });
  const transport = new DenoConnTransport({
    conn: new FakeConn(),
    startTls: () => Promise.resolve(secured),
    tlsHandshakeTimeoutMs: 20,
  });
  await keepingAlive(() => rejects(transport.upgrade?.() as Promise<void>, { code: "timeout" }));
  ok(secured.closed);
  await transport.close();
});

Deno.test("a transport without startTls, or already secure, has no upgrade", () => {
  equal(new DenoConnTransport({ conn: new FakeConn() }).upgrade, undefined);
  const secure = new DenoConnTransport({
    conn: new FakeConn(),
    secure: true,
    startTls: () => Promise.resolve(new FakeConn()),
  });
  equal(secure.upgrade, undefined);
  equal(secure.secure, true);
});
