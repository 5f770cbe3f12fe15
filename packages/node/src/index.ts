/**
 * @apop/node: POP3 on Node sockets. A transport for core over `net` and `tls` (STLS and
 * implicit TLS), a server that runs core's `serveConnection` for every connection, and a
 * `connect` that returns core's `Pop3Client`. No protocol logic lives here.
 */

// The URL parser lives in core, so Deno and browsers read URLs the same way; re-exported here.
export { type Pop3Url, parsePop3Url } from "@apop/core";
export { type ConnectOptions, connect, type TlsMode } from "./connect.ts";
export { type ConnectUrlOptions, connectUrl } from "./connect-url.ts";
export {
  type ConnectionInfo,
  createPop3Server,
  type ListenOptions,
  type Pop3Server,
  type ServeTransportOptions,
} from "./create-pop3-server.ts";
export { nodeClock } from "./node-clock.ts";
export {
  NodeSocketTransport,
  type NodeSocketTransportOptions,
  type StartTlsOptions,
  type TransportStats,
} from "./node-socket-transport.ts";
export type { Pop3ServerEvent } from "./pop3-server-event.ts";
export type { Pop3ServerOptions, ServerTlsOptions } from "./pop3-server-options.ts";
export type { ClientTlsOptions } from "./tls-handshake.ts";
