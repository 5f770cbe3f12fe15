// RFC 2595 section 4: nothing received in clear before the TLS handshake may be taken as if
// it came inside TLS. The client side against a hostile Node server (the response injection
// flaw); the server side (CVE-2011-0411, command injection) against a raw Deno peer.
import { equal, match, ok } from "node:assert";
import { connect } from "../mod.ts";
import { startServers } from "./helpers/fixtures.ts";
import { startNodeService } from "./helpers/node-process.ts";
import { createTestPki, type TestPki } from "./helpers/test-pki.ts";

async function againstHostileServer(
  pki: TestPki,
  replies: string[],
): Promise<{ outcome: unknown; lines: string[] }> {
  const hostile = await startNodeService<{ port: number }>("hostile-stls-server.mjs", {
    pki: pki.dir,
    replies,
  });
  try {
    const outcome = await connect({
      host: "127.0.0.1",
      port: hostile.ready.port,
      tls: "starttls",
      ca: [pki.ca],
    }).then(
      async (client) => {
        equal(client.secure, true);
        // "+OK injected" would make CAPA succeed; the real reply inside TLS is -ERR (null).
        const capa = await client.capa();
        await client.quit();
        return capa;
      },
      (error: unknown) => error,
    );
    if (!(outcome instanceof Error)) await hostile.until((l) => l.line === "tls:QUIT");
    return {
      outcome,
      lines: hostile.lines.flatMap((l) => (typeof l.line === "string" ? [l.line] : [])),
    };
  } finally {
    await hostile.stop();
  }
}

Deno.test("STLS response injection on the Deno client", async (t) => {
  const pki = await createTestPki();
  try {
    await t.step(
      "a line sent behind the STLS +OK, in the same write, is never a reply",
      async () => {
        const { outcome, lines } = await againstHostileServer(pki, [
          "+OK Begin TLS\r\n+OK injected\r\n",
        ]);
        equal(outcome, null);
        equal(lines.join(" "), "CAPA STLS tls:CAPA tls:QUIT");
      },
    );

    await t.step("nor when it comes in a write of its own before the handshake", async () => {
      // The injected bytes reach the TLS layer (the handshake fails) or are dropped: never a
      // reply.
      const { outcome } = await againstHostileServer(pki, [
        "+OK Begin TLS\r\n",
        "+OK injected\r\n",
      ]);
      ok(outcome === null || outcome instanceof Error, String(outcome));
    });
  } finally {
    await pki.cleanup();
  }
});

Deno.test("STLS command injection on the Deno server (CVE-2011-0411)", async () => {
  const pki = await createTestPki();
  const servers = startServers({ tls: { cert: pki.cert, key: pki.key } });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: servers.plain.port });
    const buffer = new Uint8Array(4096);
    const readText = async (c: Deno.Conn): Promise<string> => {
      const count = await c.read(buffer);
      return count === null ? "" : decoder.decode(buffer.subarray(0, count));
    };
    match(await readText(conn), /^\+OK /);
    // The command behind STLS arrives in the same segment, before the handshake.
    await conn.write(encoder.encode("STLS\r\nUSER alice\r\nPASS wonderland\r\n"));
    equal(await readText(conn), "+OK Begin TLS negotiation\r\n");
    const secure = await Deno.startTls(conn, { hostname: "localhost", caCerts: [pki.ca] });
    // STAT is refused before login; had USER/PASS run inside TLS, it would be answered +OK.
    await secure.write(encoder.encode("STAT\r\n"));
    match(await readText(secure), /^-ERR /);
    await secure.write(encoder.encode("QUIT\r\n"));
    match(await readText(secure), /^\+OK/);
    secure.close();
    ok(
      !servers.events.some((e) => e.type === "session-event" && e.event.type === "login-succeeded"),
    );
  } finally {
    await servers.close();
    await pki.cleanup();
  }
});
