import type { Pop3Client } from "@apop/core";
import { type ConnectOptions, connect } from "./connect.ts";
import { parsePop3Url } from "./pop3-url.ts";

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
    port: target.port,
    tls: options.tls ?? target.tls,
  });
}
