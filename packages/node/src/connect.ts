import { randomBytes } from "node:crypto";
import * as net from "node:net";
import { type ClientConnectOptions, type Clock, Pop3Client, RemoteProtocolError } from "@apop/core";
import { resolveClientConnectOptions } from "@apop/core/internal";
import { nodeClock } from "./node-clock.ts";
import { NodeSocketTransport } from "./node-socket-transport.ts";
import { type ClientTlsOptions, handshakeTls } from "./tls-handshake.ts";

export type { TlsMode } from "@apop/core";

/**
 * Core's `ClientConnectOptions` (`port`, `tls`, the timeouts, `limits`, `maxMessageOctets`,
 * `clock`: default `nodeClock`), plus the host and the TLS trust settings. @apop/deno's
 * `connect` takes the same names with the same meanings.
 */
export interface ConnectOptions extends ClientConnectOptions {
  /** The server's host name or IP address; the certificate must name it. */
  readonly host: string;
  /** CA certificates (PEM) trusted in addition to Node's root store. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * Verify the server's certificate: chain, expiry and host name. Default true. Setting it
   * false is explicit and emits a process warning once (RFC 8314 section 5.3: verify by default).
   */
  readonly rejectUnauthorized?: boolean;
  /** The name checked against the certificate and sent in SNI. Default: `host`. */
  readonly servername?: string;
}

/**
 * Connects to a POP3 server and returns core's `Pop3Client`, greeted, and for `starttls`
 * already inside TLS.
 *
 * A client that asked for TLS never goes on in clear (EAST Negotiation cases, fetchmail
 * CVE-2021-39272): when CAPA fails, CAPA has no STLS, or STLS is refused, the connection is
 * closed before anything else is sent and `RemoteProtocolError` `tls-unavailable` is
 * thrown. After STLS the server's capabilities are forgotten (RFC 2595 section 4); `login`
 * asks again.
 *
 * Other failures: Node's errors for the socket (`ECONNREFUSED`) and for certificates
 * (`ERR_TLS_CERT_ALTNAME_INVALID`, `DEPTH_ZERO_SELF_SIGNED_CERT`...), `RemoteProtocolError`
 * `timeout` for the connect or handshake timeouts, `Pop3Error` for a `-ERR` greeting
 * (`sys-temp` when the server is full), `LocalProtocolError` `invalid-argument` for options.
 */
export async function connect(options: ConnectOptions): Promise<Pop3Client> {
  const { host, port, tls, clock, connectTimeoutMs, tlsHandshakeTimeoutMs, client } =
    resolveClientConnectOptions({
      options,
      hostOption: "host",
      defaultClock: nodeClock,
    });
  const tlsOptions: ClientTlsOptions = {
    host,
    servername: options.servername,
    ca: options.ca,
    rejectUnauthorized: options.rejectUnauthorized,
  };

  const socket = await openSocket(host, port, connectTimeoutMs, clock);
  let transport: NodeSocketTransport;
  if (tls === "implicit") {
    const secured = await handshakeTls({
      socket,
      side: "client",
      client: tlsOptions,
      timeoutMs: tlsHandshakeTimeoutMs,
      clock,
    });
    transport = new NodeSocketTransport({ socket: secured, secure: true, clock });
  } else {
    // `none` can still upgrade: a program may call `client.stls()` itself.
    transport = new NodeSocketTransport({
      socket,
      clock,
      tlsHandshakeTimeoutMs,
      startTls: { side: "client", ...tlsOptions },
    });
  }
  // For `starttls`, core confirms STLS and upgrades before it returns (`requireTls`).
  return Pop3Client.connect({ transport, randomBytes: (length) => randomBytes(length), ...client });
}

function openSocket(
  host: string,
  port: number,
  timeoutMs: number,
  clock: Clock,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const done = (error: Error | null): void => {
      cancel();
      socket.off("connect", onConnect);
      socket.off("error", onError);
      // From here errors surface through the transport; an unwatched 'error' would crash us.
      socket.on("error", () => {});
      if (error === null) {
        resolve(socket);
        return;
      }
      socket.destroy();
      reject(error);
    };
    const onConnect = (): void => done(null);
    const onError = (error: Error): void => done(error);
    const cancel = clock.setTimer(timeoutMs, () =>
      done(
        new RemoteProtocolError({
          code: "timeout",
          message: `could not connect to ${host}:${port} within ${timeoutMs} ms`,
        }),
      ),
    );
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
}
