// The Deno server (`serve`) under the hostile clients the Node server is tested against
// (packages/node/test/hostile-clients.test.ts, server.test.ts): a line without end, a client
// that pipelines and never reads, and TLS handshakes left half done. What must hold: a clear
// -ERR, input that stays bounded, others served meanwhile, the slot and the maildrop freed.
import { equal, match, ok } from "node:assert";
import { MemoryStore } from "@apop/core";
import { connect } from "../mod.ts";
import { startServers, type TestServers, until } from "./helpers/fixtures.ts";
import { createTestPki } from "./helpers/test-pki.ts";

const encoder = new TextEncoder();

/** A raw TCP client: lines as they come, writes that may stall when the server stops reading. */
async function rawClient(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  let buffered = "";
  const decoder = new TextDecoder("latin1");
  const chunk = new Uint8Array(64 * 1024);
  const readLine = async (): Promise<string | null> => {
    for (;;) {
      const end = buffered.indexOf("\r\n");
      if (end !== -1) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        return line;
      }
      const n = await conn.read(chunk).catch(() => null);
      if (n === null) return null;
      buffered += decoder.decode(chunk.subarray(0, n));
    }
  };
  let written = 0;
  /** Writes all of `bytes`, counting what the kernel took so far in `written`. */
  const writeAll = async (bytes: Uint8Array): Promise<void> => {
    for (let at = 0; at < bytes.length; ) {
      const n = await conn.write(bytes.subarray(at, at + 64 * 1024));
      at += n;
      written += n;
    }
  };
  return { conn, readLine, writeAll, written: () => written };
}

function closedEvents(servers: TestServers) {
  return servers.events.flatMap((e) => (e.type === "connection-closed" ? [e] : []));
}

Deno.test("a 10 MiB line without LF gets -ERR Line too long, and others are served meanwhile", async () => {
  const servers = startServers();
  try {
    const flooder = await rawClient(servers.plain.port);
    match((await flooder.readLine()) ?? "", /^\+OK/);
    const flooding = flooder.writeAll(new Uint8Array(10 * 1024 * 1024).fill(0x41)).catch(() => {});
    equal(await flooder.readLine(), "-ERR Line too long");
    // Another client logs in and reads its mail while the flood is refused.
    const client = await connect({ host: "127.0.0.1", port: servers.plain.port, tls: "none" });
    await client.login({ user: "bob", password: "builder", method: "apop" });
    equal((await client.stat()).count, 1);
    await client.quit();
    flooder.conn.close();
    await flooding;
    await until(() => servers.plain.connectionCount === 0, "the flooder's slot to be freed");
  } finally {
    await servers.close();
  }
});

Deno.test("a client that pipelines RETRs and never reads: the server stops reading, holds little, and lets go", async () => {
  const message = encoder.encode(`Subject: big\r\n\r\n${"x".repeat(1022)}\r\n`.repeat(1024));
  const store = new MemoryStore({ mailboxes: { alice: [message] }, chunkSize: 64 * 1024 });
  const servers = startServers({
    store,
    allowPlaintextAuth: true,
    authenticator: { lookup: () => ({ kind: "clear", secret: "wonderland" }) },
  });
  try {
    const raw = await rawClient(servers.plain.port);
    // 16 MB of RETRs of a 1 MiB message, never read: answering them all would be 2 TB.
    const input = encoder.encode(
      `USER alice\r\nPASS wonderland\r\n${"RETR 1\r\n".repeat(2_000_000)}`,
    );
    const writing = raw.writeAll(input).then(
      () => "all written",
      () => "write failed",
    );
    // Until the server takes no more: the client's writes stall on full socket buffers.
    let last = -1;
    while (raw.written() !== last) {
      last = raw.written();
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    ok(raw.written() < input.length / 4, `the server read on: ${raw.written()} of ${input.length}`);
    raw.conn.close();
    equal(await writing, "write failed");
    await until(() => closedEvents(servers).length === 1, "the server to let go");
    const stats = closedEvents(servers)[0]?.stats;
    ok(stats != null && stats.bytesRead < input.length / 4, `read ${stats?.bytesRead}`);
    equal(store.isLocked("alice"), false);
  } finally {
    await servers.close();
  }
});

Deno.test("TLS handshakes left half done: each slot is freed at once, as tls-failed, others served", async () => {
  const pki = await createTestPki();
  const servers = startServers({
    tls: { cert: pki.cert, key: pki.key },
    tlsHandshakeTimeoutMs: 60_000,
  });
  try {
    // Implicit TLS: the first bytes of a ClientHello, then the client hangs up.
    const implicit = await Deno.connect({
      hostname: "127.0.0.1",
      port: servers.implicit?.port as number,
    });
    await implicit.write(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01));
    await implicit.closeWrite();
    // STLS: +OK, then half a ClientHello, then the client hangs up.
    const stls = await rawClient(servers.plain.port);
    match((await stls.readLine()) ?? "", /^\+OK/);
    await stls.writeAll(encoder.encode("STLS\r\n"));
    match((await stls.readLine()) ?? "", /^\+OK/);
    await stls.writeAll(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01));
    await stls.conn.closeWrite();
    // Neither waits for the 60 s handshake timeout.
    await until(() => closedEvents(servers).length === 2, "both half-open handshakes to end");
    for (const closed of closedEvents(servers)) equal(closed.reason, "tls-failed");
    equal(servers.plain.connectionCount + (servers.implicit?.connectionCount ?? 0), 0);
    implicit.close();
    stls.conn.close();
    const client = await connect({
      host: "127.0.0.1",
      port: servers.implicit?.port as number,
      tls: "implicit",
      ca: pki.ca,
    });
    await client.login({ user: "alice", password: "wonderland", method: "user" });
    await client.quit();
  } finally {
    await servers.close();
    await pki.cleanup();
  }
});
