import {
  type ClientConnectOptions,
  type Clock,
  LocalProtocolError,
  Pop3Client,
  RemoteProtocolError,
  resolveClientConnectOptions,
} from "@apop/core";
import { denoClock } from "./deno-clock.ts";
import { DenoConnTransport } from "./deno-conn-transport.ts";
import { handshakeTls } from "./handshake-tls.ts";
import { randomBytes } from "./random-bytes.ts";

export type { TlsMode } from "@apop/core";

/**
 * Core's `ClientConnectOptions` (`port`, `tls`, the timeouts, `limits`, `maxMessageOctets`,
 * `clock`: default `denoClock`), plus the host and the CAs to trust.
 */
export interface ConnectOptions extends ClientConnectOptions {
  /** The server's host name or IP address; the certificate must name it. */
  readonly hostname: string;
  /** Trusted CA certificates (PEM), in addition to Deno's root store. */
  readonly caCerts?: readonly string[];
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
  const {
    host: hostname,
    port,
    tls,
    clock,
    connectTimeoutMs,
    tlsHandshakeTimeoutMs,
    client,
  } = resolveClientConnectOptions({ options, hostOption: "hostname", defaultClock: denoClock });
  const caCerts = options.caCerts;
  if (caCerts !== undefined && !(Array.isArray(caCerts) && caCerts.every(isPem))) {
    throw invalid("caCerts must be an array of PEM strings");
  }
  const tlsOptions = { hostname, ...(caCerts === undefined ? {} : { caCerts: [...caCerts] }) };

  const tcp = await within(connectTimeoutMs, clock, hostname, port, (signal) =>
    Deno.connect({ hostname, port, signal }),
  );
  tcp.setNoDelay(true);
  let transport: DenoConnTransport;
  if (tls === "implicit") {
    // Deno.startTls on a fresh connection is Deno.connectTls with a connect that can time
    // out: connectTls takes no abort signal. The TLS (rustls, verification) is the same.
    const conn = await Deno.startTls(tcp, tlsOptions);
    await handshakeTls({ conn, timeoutMs: tlsHandshakeTimeoutMs, clock });
    transport = new DenoConnTransport({ conn, secure: true, clock });
  } else {
    transport = new DenoConnTransport({
      conn: tcp,
      clock,
      tlsHandshakeTimeoutMs,
      startTls: () => Deno.startTls(tcp, tlsOptions),
    });
  }
  // For `starttls`, core confirms STLS and upgrades before it returns (`requireTls`).
  return Pop3Client.connect({ transport, randomBytes, ...client });
}

/** Runs a connect with `Deno.connect`'s abort signal as the timeout. */
async function within<T>(
  ms: number,
  clock: Clock,
  hostname: string,
  port: number,
  open: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
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
