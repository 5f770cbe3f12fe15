import type { Pop3Client } from "@apop/core";
import { urlConnectTarget } from "@apop/core/internal";
import { type ConnectOptions, connect } from "./connect.ts";

/** `connect` options that the URL does not already say; `tls` overrides the scheme's mode. */
export type ConnectUrlOptions = Omit<ConnectOptions, "host" | "port" | "tls"> & {
  readonly tls?: ConnectOptions["tls"];
};

/**
 * Connects to the server a `pop://`, `pop3://` or `pop3s://` URL names, as `@apop/node`'s
 * `connectUrl` does: STLS required for the first two, implicit TLS for `pop3s://`. The user
 * and `;AUTH=` of the URL are for the caller's `login`; `parsePop3Url` from `@apop/core`
 * reads them. Needs `--allow-net` for the host.
 */
export function connectUrl(url: string, options: ConnectUrlOptions = {}): Promise<Pop3Client> {
  return connect({ ...options, ...urlConnectTarget({ url, tls: options.tls }) });
}
