/**
 * @apop/workers: a POP3 client for Cloudflare Workers. A transport for core over `connect()`
 * from `cloudflare:sockets` (STLS through `startTls()`, implicit TLS) and a `connect` that
 * returns core's `Pop3Client`. Client only: a Worker cannot listen for connections. No
 * protocol logic lives here.
 */
export { type ConnectOptions, connect, type TlsMode } from "./connect.ts";
export { type ConnectUrlOptions, connectUrl } from "./connect-url.ts";
export { workersClock } from "./workers-clock.ts";
export {
  type WorkersSocket,
  WorkersSocketTransport,
  type WorkersSocketTransportOptions,
} from "./workers-socket-transport.ts";
