import {
  type ConnectionStats,
  defaultPort,
  LocalProtocolError,
  type ResolvedServerHostOptions,
  type ServerHostOptions,
} from "@apop/core";
import { resolveServerHostOptions } from "@apop/core/internal";
import { denoClock } from "./deno-clock.ts";

/** The certificate chain and its private key (PEM), as @apop/node's `tls` option. */
export interface ServeTlsOptions {
  /** The certificate chain (PEM), leaf first. */
  readonly cert: string;
  /** The certificate's private key (PEM). */
  readonly key: string;
}

/**
 * Core's `ServerHostOptions` (store, authenticator, policy, limits, caps, `onEvent`, `clock`:
 * default `denoClock`), plus this listener, its certificate and the APOP host name. The caps
 * count this listener's connections: one `serve` is one listener. The names and meanings are
 * @apop/node's (`createPop3Server` options plus `listen`'s `host`, `port`, `implicitTls`).
 */
export interface ServeOptions extends ServerHostOptions<ConnectionStats> {
  /** The address to bind. Default `0.0.0.0`, as `Deno.listen`. */
  readonly host?: string;
  /** The port; 0 picks a free one. Default 995 with `implicitTls`, else 110. */
  readonly port?: number;
  /** The certificate. With it: STLS on a plain listener, or `implicitTls`. */
  readonly tls?: ServeTlsOptions;
  /** Handshake TLS before the greeting (RFC 8314 section 3, port 995). Needs `tls`. */
  readonly implicitTls?: boolean;
  /**
   * Offer STLS on a plain listener that has `tls`. Default true. Deno has no server-side
   * `startTls`; STLS runs through Deno's `node:tls` (see `startTlsServer`).
   */
  readonly starttls?: boolean;
  /**
   * The host name in the APOP timestamp. Default `Deno.hostname()` when `--allow-sys` grants
   * it, else `localhost`.
   */
  readonly serverName?: string;
  /** Closes the server (with the default grace) when aborted, as `Deno.serve`. */
  readonly signal?: AbortSignal;
}

/** The options with defaults filled in and everything checked. */
export interface ResolvedServeOptions extends ResolvedServerHostOptions<ConnectionStats> {
  readonly host: string;
  readonly port: number;
  readonly certificate: { readonly cert: string; readonly key: string } | null;
  readonly implicitTls: boolean;
  readonly starttls: boolean;
}

/**
 * Checks the options at the package boundary and fills in the defaults (core's
 * `resolveServerHostOptions`, then the listener and its certificate). Throws
 * `LocalProtocolError` `invalid-argument` naming the first bad option, so a typo fails at
 * start-up rather than in the middle of a session.
 */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  refuseOtherRuntimeNames(options);
  const resolved = resolveServerHostOptions({
    options,
    serverNameOption: "serverName",
    defaultServerName,
    defaultClock: denoClock,
  });
  const host = options.host ?? "0.0.0.0";
  if (typeof host !== "string" || host === "") fail("host", "must be a non-empty string");
  const implicitTls = options.implicitTls ?? false;
  if (typeof implicitTls !== "boolean") fail("implicitTls", "must be a boolean");
  const port = options.port ?? defaultPort({ implicitTls });
  if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
    fail("port", `must be an integer from 0 to 65535, got ${String(port)}`);
  }
  const certificate = certificateOf(options.tls);
  if (implicitTls && certificate === null)
    fail("implicitTls", "needs a certificate: pass tls: { cert, key }");
  const starttls = options.starttls ?? true;
  if (typeof starttls !== "boolean") fail("starttls", "must be a boolean");
  return {
    ...resolved,
    host,
    port,
    certificate,
    implicitTls,
    starttls: certificate !== null && !implicitTls && starttls,
  };
}

function certificateOf(option: ServeTlsOptions | undefined): ServeTlsOptions | null {
  if (option === undefined) return null;
  const { cert, key } = (option ?? {}) as { cert?: unknown; key?: unknown };
  if (!(isPem(cert) && isPem(key))) fail("tls", "must be { cert, key } with PEM strings");
  return { cert: cert as string, key: key as string };
}

/** Names Deno's own APIs use, which are not options here: say what to write instead. */
function refuseOtherRuntimeNames(options: ServeOptions): void {
  const given = options as unknown as Record<string, unknown>;
  if (given === null || typeof given !== "object") return;
  if ("hostname" in given) {
    fail("hostname", "is not an option: the address to bind is host, the APOP name serverName");
  }
  if ("cert" in given || "key" in given) fail("cert", "and key go inside tls: { cert, key }");
}

/** `Deno.hostname()` needs `--allow-sys=hostname`; without it, no prompt: `localhost`. */
function defaultServerName(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
      return Deno.hostname();
    }
  } catch {
    // Permissions API unavailable: fall through.
  }
  return "localhost";
}

function fail(option: string, problem: string): never {
  throw new LocalProtocolError({ code: "invalid-argument", message: `${option} ${problem}` });
}

const isPem = (value: unknown): boolean =>
  typeof value === "string" && value.includes("-----BEGIN");
