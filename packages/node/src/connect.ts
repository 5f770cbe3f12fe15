import * as net from "node:net";
import {
  type Clock,
  type Limits,
  LocalProtocolError,
  Pop3Client,
  RemoteProtocolError,
} from "@apop/core";
import { nodeClock } from "./node-clock.ts";
import { NodeSocketTransport } from "./node-socket-transport.ts";
import { type ClientTlsOptions, handshakeTls } from "./tls-handshake.ts";

/** How the connection is protected. */
export type TlsMode =
  /** TLS from the first byte (RFC 8314 section 3, port 995). */
  | "implicit"
  /** Plain TCP, then STLS before anything else (RFC 2595 section 4); TLS is required. */
  | "starttls"
  /** Clear text. Passwords stay off the wire unless the login explicitly allows plaintext. */
  | "none";

export interface ConnectOptions {
  readonly host: string;
  /** Default 995 for `implicit`, 110 otherwise. */
  readonly port?: number;
  readonly tls: TlsMode;
  /** Trusted CA certificates (PEM) instead of Node's default store. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /**
   * Verify the server's certificate: chain, expiry and host name. Default true. Setting it
   * false is explicit and emits a process warning once (features.md, security class 5).
   */
  readonly rejectUnauthorized?: boolean;
  /** The name checked against the certificate and sent in SNI. Default: `host`. */
  readonly servername?: string;
  /** Longest wait for the TCP connection, in ms. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Longest TLS handshake, in ms. Default 30 s (fetchmail CVE-2011-1947). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Longest wait for any bytes of a reply, in ms (core's `Pop3Client`). Default 60 s. */
  readonly timeoutMs?: number;
  readonly limits?: Partial<Limits>;
  /** Largest message or listing accepted, in octets. Default: no limit. */
  readonly maxMessageOctets?: number;
  /** Default `nodeClock`. */
  readonly clock?: Clock;
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
  const { host, tls: mode } = options;
  if (typeof host !== "string" || host === "") throw invalid("host must be a non-empty string");
  if (mode !== "implicit" && mode !== "starttls" && mode !== "none") {
    throw invalid("tls must be 'implicit', 'starttls' or 'none'");
  }
  const port = options.port ?? (mode === "implicit" ? 995 : 110);
  if (!(Number.isSafeInteger(port) && port > 0 && port <= 65535)) {
    throw invalid(`port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  for (const key of ["connectTimeoutMs", "tlsHandshakeTimeoutMs", "timeoutMs"] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw invalid(`${key} must be a positive number of ms`);
    }
  }
  const clock = options.clock ?? nodeClock;
  const handshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? 30_000;
  const tlsOptions: ClientTlsOptions = {
    host,
    servername: options.servername,
    ca: options.ca,
    rejectUnauthorized: options.rejectUnauthorized,
  };

  const socket = await openSocket(host, port, options.connectTimeoutMs ?? 30_000, clock);
  let transport: NodeSocketTransport;
  if (mode === "implicit") {
    const secured = await handshakeTls({
      socket,
      side: "client",
      client: tlsOptions,
      timeoutMs: handshakeTimeoutMs,
      clock,
    });
    transport = new NodeSocketTransport({ socket: secured, secure: true, clock });
  } else {
    // `none` can still upgrade: a program may call `client.stls()` itself.
    transport = new NodeSocketTransport({
      socket,
      clock,
      tlsHandshakeTimeoutMs: handshakeTimeoutMs,
      startTls: { side: "client", ...tlsOptions },
    });
  }
  const client = await Pop3Client.connect({
    transport,
    clock,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.maxMessageOctets === undefined
      ? {}
      : { maxMessageOctets: options.maxMessageOctets }),
  });
  if (mode === "starttls") {
    try {
      await client.requireTls();
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
  }
  return client;
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

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
