import {
  type Clock,
  type Limits,
  LocalProtocolError,
  Pop3Client,
  RemoteProtocolError,
} from "@apop/core";
import { denoClock } from "./deno-clock.ts";
import { DenoConnTransport } from "./deno-conn-transport.ts";
import { handshakeTls } from "./handshake-tls.ts";

/** How the connection is protected. */
export type TlsMode =
  /** TLS from the first byte (RFC 8314 section 3, port 995). */
  | "implicit"
  /** Plain TCP, then STLS before anything else (RFC 2595 section 4); TLS is required. */
  | "starttls"
  /** Clear text. Passwords stay off the wire unless the login explicitly allows plaintext. */
  | "none";

export interface ConnectOptions {
  /** The server's host name or IP address; the certificate must name it. */
  readonly hostname: string;
  /** Default 995 for `implicit`, 110 otherwise. */
  readonly port?: number;
  readonly tls: TlsMode;
  /** Trusted CA certificates (PEM), in addition to Deno's root store. */
  readonly caCerts?: readonly string[];
  /** Longest wait for the TCP connection, in ms. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Longest TLS handshake, in ms. Default 30 s (fetchmail CVE-2011-1947). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Longest wait for any bytes of a reply, in ms (core's `Pop3Client`). Default 60 s. */
  readonly timeoutMs?: number;
  readonly limits?: Partial<Limits>;
  /** Largest message or listing accepted, in octets. Default: no limit. */
  readonly maxMessageOctets?: number;
  /** Default `denoClock`. */
  readonly clock?: Clock;
}

/**
 * Connects to a POP3 server and returns core's `Pop3Client`, greeted, and for `starttls`
 * already inside TLS. Needs `--allow-net` for the host.
 *
 * A client that asked for TLS never goes on in clear (fetchmail CVE-2021-39272): when CAPA
 * fails, CAPA has no STLS, or STLS is refused, the connection is closed before anything else
 * is sent and `RemoteProtocolError` `tls-unavailable` is thrown. After STLS the server's
 * capabilities are forgotten (RFC 2595 section 4); `login` asks again. `none` can still
 * upgrade: a program may call `client.stls()` itself.
 *
 * The certificate is always verified (chain, expiry, name): Deno has no per-connection
 * switch to turn that off. Other failures: Deno's errors for the socket (`ConnectionRefused`)
 * and for certificates (`InvalidData: invalid peer certificate: UnknownIssuer`),
 * `RemoteProtocolError` `timeout` for the connect or handshake timeouts, `Pop3Error` for a
 * `-ERR` greeting, `LocalProtocolError` `invalid-argument` for options.
 */
export async function connect(options: ConnectOptions): Promise<Pop3Client> {
  const { hostname, tls: mode } = options ?? ({} as ConnectOptions);
  if (typeof hostname !== "string" || hostname === "") {
    throw invalid("hostname must be a non-empty string");
  }
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
  const caCerts = options.caCerts;
  if (caCerts !== undefined && !(Array.isArray(caCerts) && caCerts.every(isPem))) {
    throw invalid("caCerts must be an array of PEM strings");
  }
  const clock = options.clock ?? denoClock;
  const handshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? 30_000;
  const tlsOptions = { hostname, ...(caCerts === undefined ? {} : { caCerts: [...caCerts] }) };

  const tcp = await within(options.connectTimeoutMs, clock, hostname, port, (signal) =>
    Deno.connect({ hostname, port, signal }),
  );
  tcp.setNoDelay(true);
  let transport: DenoConnTransport;
  if (mode === "implicit") {
    // Deno.startTls on a fresh connection is Deno.connectTls with a connect that can time
    // out: connectTls takes no abort signal. The TLS (rustls, verification) is the same.
    const conn = await Deno.startTls(tcp, tlsOptions);
    await handshakeTls({ conn, timeoutMs: handshakeTimeoutMs, clock });
    transport = new DenoConnTransport({ conn, secure: true, clock });
  } else {
    transport = new DenoConnTransport({
      conn: tcp,
      clock,
      tlsHandshakeTimeoutMs: handshakeTimeoutMs,
      startTls: () => Deno.startTls(tcp, tlsOptions),
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

/** CAPA must list STLS, and STLS must succeed; anything else is `tls-unavailable`. */
/** Runs a connect with `Deno.connect`'s abort signal as the timeout. */
async function within<T>(
  timeoutMs: number | undefined,
  clock: Clock,
  hostname: string,
  port: number,
  open: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ms = timeoutMs ?? 30_000;
  const controller = new AbortController();
  const cancel = clock.setTimer(ms, () => controller.abort());
  try {
    return await open(controller.signal);
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    throw new RemoteProtocolError({
      code: "timeout",
      message: `could not connect to ${hostname}:${port} within ${ms} ms`,
      cause: error,
    });
  } finally {
    cancel();
  }
}

function isPem(value: unknown): boolean {
  return typeof value === "string" && value.includes("-----BEGIN");
}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
