/**
 * A hostile server for the STLS response-injection tests (RFC 2595 section 4): it answers
 * STLS with each string of `replies` as a write of its own (one string carrying two lines puts
 * the injection in the same TCP segment as the `+OK`), then runs TLS as a server. Inside TLS it
 * answers CAPA with `-ERR`, so a client that took an injected `+OK` as CAPA's reply is caught.
 * Used by this package's tests and by @apop/workers' tests under workerd.
 */
import type { TestPki } from "../../../../tooling/test-pki/test-pki.ts";
import { rawServer } from "@apop/vitest-preset/raw-peer";

export interface InjectingServer {
  readonly port: number;
  /** Every line received, in order; inside TLS prefixed `tls:`. */
  readonly lines: string[];
  close(): Promise<void>;
}

export async function injectingServer(options: {
  readonly pki: TestPki;
  readonly replies: readonly string[];
}): Promise<InjectingServer> {
  const { pki, replies } = options;
  const lines: string[] = [];
  const server = await rawServer(async (peer) => {
    await peer.write("+OK ready\r\n");
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      lines.push(line);
      if (line === "CAPA") {
        await peer.write("+OK\r\nSTLS\r\nUSER\r\n.\r\n");
      } else if (line === "STLS") {
        for (const part of replies) await peer.write(part);
        await peer.startTls({ side: "server", key: pki.key, cert: pki.cert });
        for (let inner = await peer.readLine(); inner !== null; inner = await peer.readLine()) {
          lines.push(`tls:${inner}`);
          await peer.write(inner === "CAPA" ? "-ERR the real reply\r\n" : "+OK\r\n");
        }
        return;
      }
    }
  });
  return { port: server.port, lines, close: () => server.close() };
}
