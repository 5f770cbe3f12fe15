import { type ClientConnectOptions, LocalProtocolError, Pop3Client } from "@apop/core";
import { resolveClientConnectOptions, withTimeLimit } from "@apop/core/internal";
import { workersClock } from "./workers-clock.ts";
import { WorkersSocketTransport } from "./workers-socket-transport.ts";

export type { TlsMode } from "@apop/core";

/**
 * Core's `ClientConnectOptions` (`port`, `tls`, the timeouts, `limits`, `maxMessageOctets`,
 * `clock`: default `workersClock`), plus the host, named as on Node.
 *
 * There is no CA option: a Worker's sockets trust what the runtime trusts (Cloudflare's store;
 * on workerd, the `trustedCertificates` of the network service the Worker's outbound goes
 * through), and the certificate is always verified.
 */
export interface ConnectOptions extends ClientConnectOptions {
  /** The server's host name or IP address; the certificate must name it. */
  readonly host: string;
}

/**
 * Connects to a POP3 server from a Worker with `connect()` from `cloudflare:sockets` and
 * returns core's `Pop3Client`, greeted, and for `starttls` already inside TLS.
 *
 * - `implicit`: `secureTransport: "on"`, TLS from the first byte (RFC 8314 section 3).
 * - `starttls`: `secureTransport: "starttls"`; core sends CAPA and STLS and the transport calls
 *   `socket.startTls()` (RFC 2595 section 4). It never goes on in clear (fetchmail
 *   CVE-2021-39272): when CAPA fails, CAPA has no STLS, or STLS is refused, the connection is
 *   closed before anything else is sent and `RemoteProtocolError` `tls-unavailable` is thrown.
 *   Nothing received in clear after the `+OK` is taken as a reply.
 * - `none`: clear text (`secureTransport: "off"`). Workers start TLS only on a socket opened
 *   for it, so this connection cannot upgrade later and `client.stls()` is refused.
 *
 * Failures: `LocalProtocolError` `not-supported` outside the Workers runtime (no
 * `cloudflare:sockets`), the runtime's errors for the socket and for certificates, `RemoteProtocolError`
 * `timeout` for the connect and TLS timeouts, `Pop3Error` for a `-ERR` greeting,
 * `LocalProtocolError` `invalid-argument` for options.
 */
export async function connect(options: ConnectOptions): Promise<Pop3Client> {
  const { host, port, tls, clock, connectTimeoutMs, tlsHandshakeTimeoutMs, client } =
    resolveClientConnectOptions({ options, hostOption: "host", defaultClock: workersClock });
  const socket = (await workersSockets()).connect(
    { hostname: host, port },
    { secureTransport: tls === "implicit" ? "on" : tls === "starttls" ? "starttls" : "off" },
  );
  try {
    await withTimeLimit({
      ms: tls === "implicit" ? connectTimeoutMs + tlsHandshakeTimeoutMs : connectTimeoutMs,
      clock,
      what: `the connection to ${host}:${port}`,
      promise: socket.opened,
    });
  } catch (error) {
    await socket.close().catch(() => {});
    throw error;
  }
  const transport = new WorkersSocketTransport({
    socket,
    secure: tls === "implicit",
    startTls: tls === "starttls",
    tlsHandshakeTimeoutMs,
    clock,
  });
  // For `starttls`, core confirms STLS and upgrades before it returns (`requireTls`).
  return Pop3Client.connect({ transport, ...client });
}

/**
 * The runtime's socket module, loaded on the first `connect`: importing this package then
 * works anywhere (a Node build step, type tests), and only connecting needs a Worker.
 */
async function workersSockets(): Promise<typeof import("cloudflare:sockets")> {
  try {
    return await import("cloudflare:sockets");
  } catch (cause) {
    throw new LocalProtocolError({
      code: "not-supported",
      message: "connect() needs the Cloudflare Workers runtime (cloudflare:sockets)",
      cause,
    });
  }
}
