import { createHash } from "node:crypto";
import type { Maildrop, MailStore } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { connect } from "../src/index.ts";
import { latin1, startServer } from "./helpers/fixtures.ts";

const pki = perFileTestPki();

const CHUNK = 64 * 1024;
const CHUNKS = 1600; // 1600 x 64 KiB = 100 MiB of body
const HEADER = latin1("Subject: big\r\n\r\n");
const SIZE = HEADER.length + CHUNK * CHUNKS;

/**
 * One 64 KiB block of 64-octet CRLF lines, the first of which starts with a dot (so the
 * server stuffs and the client unstuffs on every block boundary).
 */
function block(): Uint8Array {
  const line = (n: number): string => `${n === 0 ? "." : "L"}${String(n).padStart(61, "0")}\r\n`;
  let text = "";
  for (let n = 0; n < CHUNK / 64; n++) text += line(n);
  return latin1(text);
}

/**
 * A store with one 100 MiB message that exists only as it is read: every chunk is made when
 * the server asks for it, so nothing but the server's own buffering can hold it in memory.
 */
class LazyStore implements MailStore {
  readonly block = block();
  /** Octets the store has handed to the server so far. */
  produced = 0;

  async open(): Promise<Maildrop> {
    const store = this;
    return {
      messages: [{ size: SIZE, uid: "big-1" }],
      read: () => ({
        async *[Symbol.asyncIterator]() {
          store.produced += HEADER.length;
          yield HEADER;
          for (let i = 0; i < CHUNKS; i++) {
            store.produced += CHUNK;
            yield store.block;
          }
        },
      }),
      commit: async () => {},
      release: async () => {},
    };
  }
}

describe.each(["none", "implicit"] as const)("streaming a 100 MiB message (tls: %s)", (mode) => {
  it("RETR streams from the store to a slow client with bounded server buffers", async () => {
    const store = new LazyStore();
    const served = await startServer({
      store,
      allowPlaintextAuth: true,
      tls: { key: pki.key, cert: pki.cert },
    });
    const client = await connect({
      host: "127.0.0.1",
      port: mode === "none" ? served.port : (served.tlsPort as number),
      tls: mode,
      ca: pki.ca,
    });
    await client.login({ user: "alice", password: "wonderland", allowPlaintext: true });
    expect((await client.list(1)).size).toBe(SIZE);

    const expected = createHash("sha256").update(HEADER);
    for (let i = 0; i < CHUNKS; i++) expected.update(store.block);
    const received = createHash("sha256");
    let octets = 0;
    let stalled = false;
    for await (const part of client.retr(1)) {
      received.update(part);
      octets += part.length;
      if (!stalled) {
        // Read nothing for a while: the server must stop producing, not start buffering.
        stalled = true;
        await new Promise((resolve) => setTimeout(resolve, 200));
      } else if (octets % (8 * 1024 * 1024) < part.length) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    expect(octets).toBe(SIZE);
    expect(received.digest("hex")).toBe(expected.digest("hex"));
    await client.quit();
    await served.close();

    const closed = served.events.find((e) => e.type === "connection-closed");
    const stats = closed?.type === "connection-closed" ? closed.stats : null;
    expect(stats).not.toBeNull();
    // Backpressure really engaged (the test cannot pass by the client being fast) ...
    expect(stats?.backpressureWaits).toBeGreaterThan(0);
    // ... and the server never held more than a store chunk (stuffed) plus the socket's
    // high-water mark in its write buffer.
    expect(stats?.peakBufferedOutput).toBeLessThanOrEqual(256 * 1024);
    console.log(`100 MiB RETR (tls: ${mode}): ${JSON.stringify(stats)}`);
  }, 120_000);
});

describe("TOP on a 100 MiB message", () => {
  it("sends the headers and n lines, and stops reading the store right there", async () => {
    const store = new LazyStore();
    const served = await startServer({ store, allowPlaintextAuth: true });
    const client = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    await client.login({ user: "alice", password: "wonderland", allowPlaintext: true });
    const parts: Uint8Array[] = [];
    for await (const part of client.top(1, 2)) parts.push(part);
    expect(Buffer.concat(parts).toString("latin1")).toBe(
      `Subject: big\r\n\r\n.${"0".repeat(61)}\r\nL${"1".padStart(61, "0")}\r\n`,
    );
    // The header chunk and the first body chunk, not 100 MiB.
    expect(store.produced).toBeLessThanOrEqual(HEADER.length + CHUNK);
    await client.quit();
    await served.close();
  });
});
