import { DEFAULTS, defaultPort } from "../defaults.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import type { Limits } from "../limits.ts";
import type { Pop3ClientOptions } from "./pop3-client.ts";
import type { Clock } from "./transport.ts";

/** How the connection is protected. */
export type TlsMode =
  /** TLS from the first byte (RFC 8314 section 3, port 995). */
  | "implicit"
  /** Plain TCP, then STLS before anything else (RFC 2595 section 4); TLS is required. */
  | "starttls"
  /** Clear text. Passwords stay off the wire unless the login explicitly allows plaintext. */
  | "none";

/**
 * The options every runtime's `connect` takes: @apop/node's and @apop/deno's `ConnectOptions`
 * extend them with the host and their TLS trust settings.
 */
export interface ClientConnectOptions {
  /** Default 995 for `implicit`, 110 otherwise. */
  readonly port?: number;
  /** `none`, `starttls` (STLS, RFC 2595) or `implicit` (TLS from the first byte, RFC 8314). */
  readonly tls: TlsMode;
  /** Longest wait for the TCP connection, in ms. Default `DEFAULTS.connectTimeoutMs` (30 s). */
  readonly connectTimeoutMs?: number;
  /** Longest TLS handshake, in ms. Default 30 s (fetchmail CVE-2011-1947). */
  readonly tlsHandshakeTimeoutMs?: number;
  /**
   * Longest silence while a reply is owed, in ms: core's `Limits.replyTimeoutMs`, which it
   * sets (it wins over `limits.replyTimeoutMs`). Default 60 s.
   */
  readonly replyTimeoutMs?: number;
  /** Overrides of core's protocol limits (line lengths and the like). */
  readonly limits?: Partial<Limits>;
  /** Largest message or listing accepted, in octets. Default: no limit. */
  readonly maxMessageOctets?: number;
  /** Default: the runtime's clock. */
  readonly clock?: Clock;
}

/** The options with defaults filled in and everything checked. */
export interface ResolvedClientConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  readonly connectTimeoutMs: number;
  readonly tlsHandshakeTimeoutMs: number;
  readonly clock: Clock;
  /**
   * The rest, for `Pop3Client.connect({ transport, ...client })`: the clock, the reply timeout
   * and limits, and `requireTls` for `starttls`.
   */
  readonly client: Omit<Pop3ClientOptions, "transport">;
}

export interface ResolveClientConnectOptionsInput<HostOption extends string> {
  /** What the caller passed, not yet checked (it may not even be an object). */
  readonly options: ClientConnectOptions & { readonly [K in HostOption]: string };
  /** The option that names the server (`host` on Node, `hostname` on Deno): errors name it. */
  readonly hostOption: HostOption;
  /** The runtime's clock, when `clock` is absent. */
  readonly defaultClock: Clock;
}

/**
 * Checks a client `connect`'s options at the package boundary and fills in the defaults.
 * Throws `LocalProtocolError` `invalid-argument` whose message starts with the first bad
 * option: the host (a non-empty string), `tls` (one of the three modes), `port` (1 to 65535),
 * and the three timeouts (positive numbers of ms). `limits` and `maxMessageOctets` are left
 * to `Pop3Client`.
 */
export function resolveClientConnectOptions<HostOption extends string>(
  args: ResolveClientConnectOptionsInput<HostOption>,
): ResolvedClientConnectOptions {
  const { options, hostOption } = args;
  const host: unknown = (options as { readonly [K in HostOption]?: unknown } | undefined)?.[
    hostOption
  ];
  if (typeof host !== "string" || host === "") {
    throw invalid(`${hostOption} must be a non-empty string`);
  }
  const mode = options.tls;
  if (mode !== "implicit" && mode !== "starttls" && mode !== "none") {
    throw invalid("tls must be 'implicit', 'starttls' or 'none'");
  }
  const port = options.port ?? defaultPort({ implicitTls: mode === "implicit" });
  if (!(Number.isSafeInteger(port) && port > 0 && port <= 65535)) {
    throw invalid(`port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  for (const key of ["connectTimeoutMs", "tlsHandshakeTimeoutMs", "replyTimeoutMs"] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      throw invalid(`${key} must be a positive number of ms`);
    }
  }
  const clock = options.clock ?? args.defaultClock;
  return {
    host,
    port,
    tls: mode,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs ?? DEFAULTS.tlsHandshakeTimeoutMs,
    clock,
    client: {
      clock,
      ...(options.limits === undefined && options.replyTimeoutMs === undefined
        ? {}
        : {
            limits: {
              ...options.limits,
              ...(options.replyTimeoutMs === undefined
                ? {}
                : { replyTimeoutMs: options.replyTimeoutMs }),
            },
          }),
      ...(options.maxMessageOctets === undefined
        ? {}
        : { maxMessageOctets: options.maxMessageOctets }),
      requireTls: mode === "starttls",
    },
  };
}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
