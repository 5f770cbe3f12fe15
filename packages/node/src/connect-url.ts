import { type Pop3Client, parsePop3Url } from "@apop/core";
import { type ConnectOptions, connect } from "./connect.ts";

/** `connect` options that the URL does not already say; `tls` overrides the scheme's mode. */
export type ConnectUrlOptions = Omit<ConnectOptions, "host" | "port" | "tls"> & {
  readonly tls?: ConnectOptions["tls"];
};

/**
 * Connects to the server a `pop://`, `pop3://` or `pop3s://` URL names (see
 * `parsePop3Url`): STLS required for the first two, implicit TLS for `pop3s://`. The user and
 * `;AUTH=` of the URL are for the caller's `login`; parse the URL to read them.
 */
export function connectUrl(url: string, options: ConnectUrlOptions = {}): Promise<Pop3Client> {
  const target = parsePop3Url(url);
  return connect({
    ...options,
    host: target.host,
    // A port the URL does not name is the default of the TLS mode actually used.
    ...(target.port === undefined ? {} : { port: target.port }),
    tls: options.tls ?? target.tls,
  });
}
