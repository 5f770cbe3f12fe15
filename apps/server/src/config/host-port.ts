import { isIPv6 } from "node:net";

/** A listening address. No `host` means every interface. */
export interface HostPort {
  readonly host?: string | undefined;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or `*:PORT` (every interface). Port 0 asks the system for
 * a free port. Returns a reason instead of throwing, for the config problem list.
 *
 * An IPv6 address without brackets (`::1:110`) is refused rather than guessed at: the last
 * group could be the port or part of the address.
 */
export function parseHostPort(text: string): HostPort | { readonly error: string } {
  const quoted = JSON.stringify(text);
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed !== null) {
    host = bracketed[1] as string;
    portText = bracketed[2] as string;
    if (!isIPv6(host)) return { error: `${quoted}: [${host}] is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return { error: `${quoted}: expected HOST:PORT, as in 127.0.0.1:110` };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      return { error: `${quoted}: an IPv6 address goes in brackets, as in [::1]:110` };
    }
  }
  if (host === "" || /\s/.test(host)) {
    return { error: `${quoted}: expected a host name or address before the port (* for all)` };
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    return { error: `${quoted}: expected a port number from 0 to 65535 after the colon` };
  }
  return host === "*" ? { port } : { host, port };
}

/** `127.0.0.1:110`, `[::1]:110`, `*:110`: the form `parseHostPort` reads. */
export function formatHostPort(address: HostPort): string {
  const host = address.host ?? "*";
  return `${host.includes(":") ? `[${host}]` : host}:${address.port}`;
}
