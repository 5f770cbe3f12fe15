import {
  type ClientConnectOptions,
  type Clock,
  LocalProtocolError,
  Pop3Client,
  RemoteProtocolError,
} from "@apop/core";
import { resolveClientConnectOptions } from "@apop/core/internal";
import { denoClock } from "./deno-clock.ts";
import { DenoConnTransport } from "./deno-conn-transport.ts";
import { handshakeTls } from "./handshake-tls.ts";
import { randomBytes } from "./random-bytes.ts";

export type { TlsMode } from "@apop/core";

/**
 * Core's `ClientConnectOptions` (`port`, `tls`, the timeouts, `limits`, `maxMessageOctets`,
 * `clock`: default `denoClock`), plus the host and the TLS trust settings. The names and
 * meanings are @apop/node's: a program moved from Node changes its imports, not its options.
 */
export interface ConnectOptions extends ClientConnectOptions {
  /** The server's host name or IP address; the certificate must name it. */
  readonly host: string;
  /** CA certificates (PEM) trusted in addition to the runtime's root store. */
  readonly ca?: string | readonly string[];
  /**
   * The name sent in SNI and checked against the certificate. Default: `host`. (Deno checks
   * an IP address `host` against the certificate's IP entries, as Node does.)
   */
  readonly servername?: string;
  /**
   * Only `true` (the default) on Deno, which has no switch to turn verification off: `false`
   * is refused rather than ignored, so a program moved from Node never believes it is checked
   * when it is not, or the reverse.
   */
  readonly rejectUnauthorized?: boolean;
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
  refuseOtherRuntimeNames(options);
  const {
    host: hostname,
    port,
    tls,
    clock,
    connectTimeoutMs,
    tlsHandshakeTimeoutMs,
    client,
  } = resolveClientConnectOptions({ options, hostOption: "host", defaultClock: denoClock });
  const tlsOptions = {
    hostname: servernameOf(options),
    ...caCertsOf(options),
  };

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

/** Names Deno's own APIs use, which are not options here: say what to write instead. */
function refuseOtherRuntimeNames(options: ConnectOptions): void {
  const given = options as unknown as Record<string, unknown>;
  if (given === null || typeof given !== "object") return;
  if ("hostname" in given) throw invalid("hostname is not an option: name the server with host");
  if ("caCerts" in given) throw invalid("caCerts is not an option: pass the PEM CAs as ca");
  if (given.rejectUnauthorized !== undefined && given.rejectUnauthorized !== true) {
    throw invalid(
      "rejectUnauthorized must be true on Deno: it cannot skip certificate checks (trust a private CA with ca)",
    );
  }
}

function servernameOf(options: ConnectOptions): string {
  const { servername } = options;
  if (servername === undefined) return options.host;
  if (typeof servername !== "string" || servername === "") {
    throw invalid("servername must be a non-empty string");
  }
  return servername;
}

function caCertsOf(options: ConnectOptions): { caCerts?: string[] } {
  const { ca } = options;
  if (ca === undefined) return {};
  const list = typeof ca === "string" ? [ca] : ca;
  if (!(Array.isArray(list) && list.every(isPem))) {
    throw invalid("ca must be a PEM string or an array of PEM strings");
  }
  return { caCerts: [...list] };
}

function isPem(value: unknown): boolean {
  return typeof value === "string" && value.includes("-----BEGIN");
}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
