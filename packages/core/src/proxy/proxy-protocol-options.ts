import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { TrustedSources } from "./trusted-sources.ts";

/**
 * How long a trusted balancer has to send its PROXY header, in ms: its header goes out with
 * the connection, so a few seconds is generous (Dovecot's `haproxy_timeout` is 3 s). The
 * connection is not admitted, greeted or counted until then.
 */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 3000;

/** PROXY protocol (v1 and v2) on every listener of a server host. */
export interface ProxyProtocolOptions {
  /**
   * The balancers, as addresses or prefixes (`127.0.0.1`, `10.0.0.0/8`, `fd00::/8`). A
   * connection from one of them must open with a PROXY header; from anyone else a header is
   * refused (the connection is closed).
   */
  readonly trusted: readonly string[];
  /** Default `DEFAULT_PROXY_HEADER_TIMEOUT_MS`. */
  readonly headerTimeoutMs?: number;
}

export interface ResolvedProxyProtocol {
  readonly trusted: TrustedSources;
  readonly headerTimeoutMs: number;
}

/**
 * Checks `proxyProtocol` and fills in its default. Absent (or no trusted source at all)
 * means off: no connection is read for a header. Throws `LocalProtocolError`
 * `invalid-argument` naming the bad part.
 */
export function resolveProxyProtocol(
  option: ProxyProtocolOptions | undefined,
): ResolvedProxyProtocol | null {
  if (option === undefined) return null;
  if (typeof option !== "object" || option === null || !Array.isArray(option.trusted)) {
    throw invalid("proxyProtocol must be { trusted: [addresses or prefixes] }");
  }
  const timeout = option.headerTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;
  if (!(Number.isSafeInteger(timeout) && timeout > 0)) {
    throw invalid("proxyProtocol.headerTimeoutMs must be a positive integer");
  }
  let trusted: TrustedSources;
  try {
    trusted = new TrustedSources(option.trusted);
  } catch (error) {
    throw invalid(`proxyProtocol.trusted: ${(error as Error).message}`);
  }
  return trusted.empty ? null : { trusted, headerTimeoutMs: timeout };
}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
