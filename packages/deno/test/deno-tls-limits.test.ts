// What Deno 2.9.6 does with a TLS connection closed before its handshake finished: the
// socket stays open for as long as the peer is silent. This is why `serve` runs the server
// side of TLS through node:tls over its own `Deno.Conn`, which closes at once (serve.test.ts:
// "a silent client on implicit TLS is dropped"), rather than on `Deno.listenTls`; and why a
// client's handshake timeout frees its socket only once the server hangs up. If a Deno
// upgrade makes these fail, the workaround can go.
import { equal } from "node:assert";
import { createTestPki } from "./helpers/test-pki.ts";

/** Whether `conn` sees the end of the stream (or an error) within `ms`. */
async function endsWithin(conn: Deno.Conn, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const buffer = new Uint8Array(4096);
  const reading = (async () => {
    for (;;) if ((await conn.read(buffer)) === null) return true;
  })().catch(() => true);
  const result = await Promise.race([
    reading,
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return result;
}

// The sockets Deno keeps open are its own, out of JS's reach: the sanitizers would count them.
const quirk = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "Deno.listenTls: close() before the handshake leaves a silent client connected",
  ...quirk,
  fn: async () => {
    const pki = await createTestPki();
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: pki.cert,
      key: pki.key,
    });
    const silent = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const accepted = await listener.accept();
    accepted.close();
    equal(await endsWithin(silent, 300), false);
    silent.close();
    listener.close();
    await pki.cleanup();
  },
});

Deno.test({
  name: "Deno.startTls: close() mid-handshake leaves the TCP connection open",
  ...quirk,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const tcp = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    const server = await listener.accept();
    const tls = await Deno.startTls(tcp, { hostname: "localhost" });
    const handshake = tls.handshake().catch(() => {});
    tls.close();
    await handshake;
    // The server reads the ClientHello, then no end of the stream.
    equal(await endsWithin(server, 300), false);
    server.close();
    listener.close();
  },
});
