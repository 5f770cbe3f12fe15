import * as net from "node:net";
import { DEFAULTS, defaultPort } from "@apop/core";
import { isIpv6PrefixLength } from "@apop/core/internal";
import type { WebEndpointOptions } from "./open-web-server.ts";
import { type AllowedOrigins, invalid, resolveAllowedOrigins } from "./upgrade-gate.ts";

/** A POP3 server the bridge may connect to. Nothing else is ever dialled. */
export interface BridgeTarget {
  /** What a page asks for (`?target=name`). Default `host:port`, which a page may also use. */
  readonly name?: string;
  readonly host: string;
  /** Default 995 for `implicit`, 110 otherwise. */
  readonly port?: number;
  /**
   * The bridge's hop to the server: TLS from the first byte, STLS right after the greeting
   * (required: a refusal ends the connection), or clear text.
   */
  readonly tls: "implicit" | "starttls" | "none";
  /** Trusted CA certificates (PEM) in place of Node's default store. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** The name checked against the certificate and sent in SNI. Default: `host`. */
  readonly servername?: string;
}

/** What a bridge reports to `onEvent`, for logs. Never carries POP3 content. */
export type BridgeEvent =
  /** An upgrade refused before any WebSocket existed (HTTP 403/404). */
  | {
      readonly type: "upgrade-refused";
      readonly remoteAddress: string;
      readonly origin: string | null;
      /**
       * `pending-limit`: the own server's connections still before their upgrade (or page
       * request) are at `maxConnections` or `maxConnectionsPerAddress`; closed at once.
       */
      readonly reason: "path" | "origin" | "insecure" | "closing" | "pending-limit";
    }
  /** A WebSocket was accepted; `target` is what the page asked for. */
  | {
      readonly type: "connection-opened";
      readonly connection: number;
      readonly remoteAddress: string;
      readonly origin: string | null;
      readonly target: string | null;
    }
  /** The POP3 server greeted (and STLS is done): relaying starts. */
  | {
      readonly type: "upstream-ready";
      readonly connection: number;
      readonly target: string;
      readonly secure: boolean;
    }
  /** Both sides are closed. `code` and `reason`: the bridge's close, or the page's own. */
  | {
      readonly type: "connection-closed";
      readonly connection: number;
      readonly code: number;
      readonly reason: string;
      readonly bytesFromBrowser: number;
      readonly bytesToBrowser: number;
    };

export interface BridgeOptions extends WebEndpointOptions {
  /** The allow-list. */
  readonly targets: readonly BridgeTarget[];
  /** Serve the example web client and `/targets.json` on the same server. Default false. */
  readonly servePage?: boolean;
  /** Open WebSockets in total. Default 100. */
  readonly maxConnections?: number;
  /** Open WebSockets from one client: an IPv4 address or an IPv6 prefix. Default 10. */
  readonly maxConnectionsPerAddress?: number;
  /**
   * Bits of an IPv6 address that name one client for `maxConnectionsPerAddress` (core's
   * `addressGroup`). Default 64 (`DEFAULTS.ipv6PrefixLength`).
   */
  readonly ipv6PrefixLength?: number;
  /** Largest WebSocket frame from the page, in octets. Default 64 KiB. */
  readonly maxFrameBytes?: number;
  /** Octets a connection may carry from the page (POP3 commands). Default 4 MiB. */
  readonly maxBytesFromBrowser?: number;
  /** Octets a connection may carry to the page (replies, messages). Default 1 GiB. */
  readonly maxBytesToBrowser?: number;
  /** Close after this long with no byte either way, in ms. Default 10 minutes (RFC 1939 autologout). */
  readonly idleTimeoutMs?: number;
  /** Longest setup of the hop to the server (TCP, TLS, greeting, STLS), in ms. Default 30 s. */
  readonly upstreamTimeoutMs?: number;
  /** Events for logs. Must not throw (errors are ignored). */
  readonly onEvent?: (event: BridgeEvent) => void;
}

export interface ResolvedTarget {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly tls: "implicit" | "starttls" | "none";
  readonly ca: string | Buffer | readonly (string | Buffer)[] | undefined;
  readonly servername: string | undefined;
}

export interface ResolvedBridgeOptions {
  readonly targets: readonly ResolvedTarget[];
  readonly allowedOrigins: AllowedOrigins;
  readonly allowMissingOrigin: boolean;
  readonly allowInsecureWs: boolean;
  readonly path: string;
  readonly servePage: boolean;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly ipv6PrefixLength: number;
  readonly maxFrameBytes: number;
  readonly maxBytesFromBrowser: number;
  readonly maxBytesToBrowser: number;
  readonly idleTimeoutMs: number;
  readonly upstreamTimeoutMs: number;
  readonly onEvent: (event: BridgeEvent) => void;
}

/**
 * Checks the options and fills in the defaults. Throws `LocalProtocolError`
 * `invalid-argument` naming the first bad option, so a typo fails at start-up.
 */
export function resolveBridgeOptions(options: BridgeOptions): ResolvedBridgeOptions {
  if (typeof options !== "object" || options === null) throw invalid("options must be an object");
  if (!Array.isArray(options.targets) || options.targets.length === 0) {
    throw invalid("targets must list at least one POP3 server");
  }
  const targets = options.targets.map(resolveTarget);
  const names = new Set<string>();
  for (const target of targets) {
    if (names.has(target.name)) throw invalid(`targets: the name ${target.name} is used twice`);
    names.add(target.name);
  }
  const path = options.path ?? "/pop3";
  if (typeof path !== "string" || !/^\/[\w\-./]*$/.test(path)) {
    throw invalid("path must start with / and hold no query");
  }
  const onEvent = options.onEvent;
  if (onEvent !== undefined && typeof onEvent !== "function") {
    throw invalid("onEvent must be a function");
  }
  return {
    targets,
    allowedOrigins: resolveAllowedOrigins(options.allowedOrigins),
    allowMissingOrigin: flag(options.allowMissingOrigin, "allowMissingOrigin"),
    allowInsecureWs: flag(options.allowInsecureWs, "allowInsecureWs"),
    path,
    servePage: flag(options.servePage, "servePage"),
    maxConnections: positive(options.maxConnections, 100, "maxConnections"),
    maxConnectionsPerAddress: positive(
      options.maxConnectionsPerAddress,
      10,
      "maxConnectionsPerAddress",
    ),
    ipv6PrefixLength: prefixLength(options.ipv6PrefixLength),
    maxFrameBytes: positive(options.maxFrameBytes, 64 * 1024, "maxFrameBytes"),
    maxBytesFromBrowser: positive(
      options.maxBytesFromBrowser,
      4 * 1024 ** 2,
      "maxBytesFromBrowser",
    ),
    maxBytesToBrowser: positive(options.maxBytesToBrowser, 1024 ** 3, "maxBytesToBrowser"),
    idleTimeoutMs: positive(options.idleTimeoutMs, 10 * 60_000, "idleTimeoutMs"),
    upstreamTimeoutMs: positive(options.upstreamTimeoutMs, 30_000, "upstreamTimeoutMs"),
    onEvent:
      onEvent === undefined
        ? () => {}
        : (event) => {
            try {
              onEvent(event);
            } catch {}
          },
  };
}

function resolveTarget(target: BridgeTarget, index: number): ResolvedTarget {
  const at = `targets[${index}]`;
  if (typeof target !== "object" || target === null) throw invalid(`${at} must be an object`);
  const { host, tls } = target;
  if (typeof host !== "string" || host === "") throw invalid(`${at}.host must be a host name`);
  if (tls !== "implicit" && tls !== "starttls" && tls !== "none") {
    throw invalid(`${at}.tls must be 'implicit', 'starttls' or 'none'`);
  }
  const port = target.port ?? defaultPort({ implicitTls: tls === "implicit" });
  if (!(Number.isSafeInteger(port) && port > 0 && port <= 65535)) {
    throw invalid(`${at}.port must be an integer from 1 to 65535`);
  }
  const name = target.name ?? hostPort(host, port);
  if (typeof name !== "string" || !/^[\x21-\x7e]{1,100}$/.test(name)) {
    throw invalid(`${at}.name must be 1 to 100 printable ASCII characters`);
  }
  if (target.servername !== undefined && typeof target.servername !== "string") {
    throw invalid(`${at}.servername must be a string`);
  }
  return { name, host, port, tls, ca: target.ca, servername: target.servername };
}

/** `host:port`, with IPv6 addresses in brackets: how a page names a target without a name. */
export function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function flag(value: boolean | undefined, name: string): boolean {
  if (value !== undefined && typeof value !== "boolean") throw invalid(`${name} must be a boolean`);
  return value ?? false;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0))
    throw invalid(`${name} must be a positive integer`);
  return value;
}

function prefixLength(value: number | undefined): number {
  if (value === undefined) return DEFAULTS.ipv6PrefixLength;
  if (!isIpv6PrefixLength(value)) throw invalid("ipv6PrefixLength must be 1 to 128");
  return value;
}
