import type * as http from "node:http";
import type { Duplex } from "node:stream";
import type * as tls from "node:tls";
import { LocalProtocolError } from "@apop/core";
import { isLoopbackAddress } from "@apop/core/internal";

/**
 * The pages allowed to open a WebSocket: exact origins (`https://mail.example.org`), `"*"` for
 * any page, or a function. Browsers always send `Origin` on a WebSocket upgrade (RFC 6455
 * section 4.1), and a page cannot forge it; a non-browser client can, so the check only keeps
 * other web pages from using a visitor's browser to reach the bridge.
 */
export type AllowedOrigins = readonly string[] | ((origin: string) => boolean);

/** Who may upgrade, checked before any WebSocket exists. */
export interface UpgradeGate {
  readonly path: string;
  readonly allowedOrigins: AllowedOrigins;
  /** Let clients without an `Origin` header in (scripts, not browsers). */
  readonly allowMissingOrigin: boolean;
  /** Let `ws://` in on a non-loopback address. */
  readonly allowInsecureWs: boolean;
}

export interface UpgradeRefusal {
  readonly status: 403 | 404;
  readonly reason: "path" | "origin" | "insecure";
  readonly message: string;
}

/** Null when the request may become a WebSocket, else why not (as an HTTP refusal). */
export function checkUpgrade(
  request: http.IncomingMessage,
  gate: UpgradeGate,
): UpgradeRefusal | null {
  if (requestPath(request) !== gate.path) {
    return { status: 404, reason: "path", message: `no WebSocket endpoint here; use ${gate.path}` };
  }
  const encrypted = (request.socket as tls.TLSSocket).encrypted === true;
  if (!encrypted && !gate.allowInsecureWs && !isLoopbackAddress(request.socket.localAddress ?? "")) {
    return {
      status: 403,
      reason: "insecure",
      message: "plain ws:// is accepted on loopback only; use wss://",
    };
  }
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (gate.allowMissingOrigin) return null;
    return { status: 403, reason: "origin", message: "an Origin header is required" };
  }
  const allowed =
    typeof gate.allowedOrigins === "function"
      ? gate.allowedOrigins(origin)
      : gate.allowedOrigins.includes("*") || gate.allowedOrigins.includes(origin.toLowerCase());
  if (!allowed) return { status: 403, reason: "origin", message: "this origin is not allowed" };
  return null;
}

/** Answers an upgrade request with a plain HTTP error and drops the socket. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const title =
    { 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" }[status] ?? "Error";
  const body = `${message}\n`;
  socket.on("error", () => {});
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** The path of a request URL, without its query. */
export function requestPath(request: http.IncomingMessage): string {
  return new URL(request.url ?? "/", "http://bridge.invalid").pathname;
}

/** Checks and normalises `allowedOrigins` at start-up: a typo fails there, not per request. */
export function resolveAllowedOrigins(value: unknown): AllowedOrigins {
  if (typeof value === "function") return value as (origin: string) => boolean;
  if (!Array.isArray(value)) {
    throw invalid("allowedOrigins must be a list of origins (or '*'), or a function");
  }
  return value.map((entry: unknown) => {
    if (entry === "*") return entry;
    let origin: string | null = null;
    try {
      origin = typeof entry === "string" ? new URL(entry).origin : null;
    } catch {}
    if (origin === null || origin === "null" || origin !== String(entry).toLowerCase()) {
      throw invalid(
        `allowedOrigins: ${JSON.stringify(entry)} is not an origin like https://mail.example.org`,
      );
    }
    return origin;
  });
}

export function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
