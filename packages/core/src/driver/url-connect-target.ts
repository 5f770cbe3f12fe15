import { parsePop3Url } from "../grammar/pop3-url.ts";
import type { TlsMode } from "./client-connect-options.ts";

/** Where a POP3 URL says to connect, as `connect` options. */
export interface UrlConnectTarget {
  readonly host: string;
  /** Absent when the URL names no port: `connect` then takes the default of `tls`. */
  readonly port?: number;
  readonly tls: TlsMode;
}

/**
 * What every runtime's `connectUrl` hands its `connect`: the URL's host and port, and its TLS
 * mode (`pop://` and `pop3://`: STLS required; `pop3s://`: implicit TLS) unless `tls`
 * overrides it. A port the URL does not name stays absent, so it is the default of the TLS
 * mode actually used: `pop://host` with `tls: "implicit"` goes to 995, not 110. The user and
 * `;AUTH=` are for the caller's `login` (`parsePop3Url` reads them). Throws as
 * `parsePop3Url` does.
 */
export function urlConnectTarget(options: {
  readonly url: string;
  readonly tls?: TlsMode | undefined;
}): UrlConnectTarget {
  const parsed = parsePop3Url(options.url);
  return {
    host: parsed.host,
    ...(parsed.port === undefined ? {} : { port: parsed.port }),
    tls: options.tls ?? parsed.tls,
  };
}
