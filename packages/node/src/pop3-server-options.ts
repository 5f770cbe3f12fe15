import * as os from "node:os";
import * as tls from "node:tls";
import {
  LocalProtocolError,
  type ResolvedServerHostOptions,
  type ServerHostOptions,
} from "@apop/core";
import { resolveServerHostOptions } from "@apop/core/internal";
import { nodeClock } from "./node-clock.ts";
import type { TransportStats } from "./node-socket-transport.ts";

/** The certificate and key (PEM) a server presents, or a ready `tls.SecureContext`. */
export type ServerTlsOptions =
  | { readonly key: string | Buffer; readonly cert: string | Buffer }
  | tls.SecureContext;

/**
 * Core's `ServerHostOptions` (store, authenticator, policy, limits, caps, `onEvent`, `clock`:
 * default `nodeClock`), plus the certificate and the APOP host name.
 */
export interface Pop3ServerOptions extends ServerHostOptions<TransportStats> {
  /**
   * The server's certificate. With it, plain listeners offer STLS (RFC 2595) and
   * `listen({ implicitTls: true })` works (RFC 8314); without it neither does.
   */
  readonly tls?: ServerTlsOptions;
  /** The host name in the APOP timestamp. Default `os.hostname()`. */
  readonly serverName?: string;
}

/** The options with defaults filled in and everything checked. */
export interface ResolvedServerOptions extends ResolvedServerHostOptions<TransportStats> {
  readonly secureContext: tls.SecureContext | null;
}

/**
 * Checks the options at the package boundary and fills in the defaults (core's
 * `resolveServerHostOptions`, then the certificate). Throws `LocalProtocolError`
 * `invalid-argument` naming the first bad option, so a typo in a configuration fails at
 * start-up rather than in the middle of a session.
 */
export function resolveServerOptions(options: Pop3ServerOptions): ResolvedServerOptions {
  if (typeof options === "object" && options !== null && "hostname" in options) {
    fail(
      "hostname",
      "is not an option: the APOP name is serverName, the address to bind listen's host",
    );
  }
  const host = resolveServerHostOptions({
    options,
    serverNameOption: "serverName",
    defaultServerName: () => os.hostname(),
    defaultClock: nodeClock,
  });
  return { ...host, secureContext: secureContext(options.tls) };
}

/**
 * A certificate and key (or a ready context) checked and loaded as `tls` is at start, for
 * `Pop3Server.setTls`. Throws `LocalProtocolError` `invalid-argument`.
 */
export function resolveServerTls(option: ServerTlsOptions): tls.SecureContext {
  return secureContext(option) ?? fail("tls", "must be { key, cert } or a SecureContext");
}

function secureContext(option: ServerTlsOptions | undefined): tls.SecureContext | null {
  if (option === undefined) return null;
  if (typeof option !== "object" || option === null)
    fail("tls", "must be { key, cert } or a SecureContext");
  if ("key" in option || "cert" in option) {
    const { key, cert } = option as { key: unknown; cert: unknown };
    if (!isPem(key) || !isPem(cert)) fail("tls", "key and cert must be PEM strings or Buffers");
    try {
      return tls.createSecureContext({ key, cert, minVersion: "TLSv1.2" });
    } catch (error) {
      fail("tls", `key and cert were refused: ${(error as Error).message}`);
    }
  }
  if ("context" in option) return option;
  return fail("tls", "must be { key, cert } or a SecureContext");
}

function fail(option: string, problem: string): never {
  throw new LocalProtocolError({ code: "invalid-argument", message: `${option} ${problem}` });
}

const isPem = (value: unknown): value is string | Buffer =>
  (typeof value === "string" && value.length > 0) || Buffer.isBuffer(value);
