import {
  type ConnectionStats,
  defaultPort,
  LocalProtocolError,
  type ResolvedServerHostOptions,
  resolveServerHostOptions,
  type ServerHostOptions,
} from "@apop/core";
import { denoClock } from "./deno-clock.ts";

/**
 * Core's `ServerHostOptions` (store, authenticator, policy, limits, caps, `onEvent`, `clock`:
 * default `denoClock`), plus this listener, its certificate and the APOP host name. The caps
 * count this listener's connections: one `serve` is one listener.
 */
export interface ServeOptions extends ServerHostOptions<ConnectionStats> {
  /** The address to bind. Default `0.0.0.0`, as `Deno.listen`. */
  readonly hostname?: string;
  /** The port; 0 picks a free one. Default 995 with `implicitTls`, else 110. */
  readonly port?: number;
  /** The certificate chain (PEM). With `key`: STLS on a plain listener, or `implicitTls`. */
  readonly cert?: string;
  /** The certificate's private key (PEM). */
  readonly key?: string;
  /** Handshake TLS before the greeting (RFC 8314 section 3, port 995). Needs `cert` and `key`. */
  readonly implicitTls?: boolean;
  /**
   * Offer STLS on a plain listener that has `cert` and `key`. Default true. Deno has no
   * server-side `startTls`; STLS runs through Deno's `node:tls` (see `startTlsServer`).
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
  readonly hostname: string;
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
  const host = resolveServerHostOptions({
    options,
    serverNameOption: "serverName",
    defaultServerName,
    defaultClock: denoClock,
  });
  const { cert, key } = options;
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof hostname !== "string" || hostname === "") fail("hostname", "must be a string");
  const implicitTls = options.implicitTls ?? false;
  if (typeof implicitTls !== "boolean") fail("implicitTls", "must be a boolean");
  const port = options.port ?? defaultPort({ implicitTls });
  if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
    fail("port", `must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if ((cert === undefined) !== (key === undefined)) fail("cert", "and key go together");
  if (cert !== undefined && !(isPem(cert) && isPem(key))) {
    fail("cert", "and key must be PEM strings");
  }
  const certificate = cert === undefined ? null : { cert, key: key as string };
  if (implicitTls && certificate === null) fail("implicitTls", "needs cert and key");
  const starttls = options.starttls ?? true;
  if (typeof starttls !== "boolean") fail("starttls", "must be a boolean");
  return {
    ...host,
    hostname,
    port,
    certificate,
    implicitTls,
    starttls: certificate !== null && !implicitTls && starttls,
  };
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
