/**
 * @apop/websocket/bridge: the Node side of POP3 over WebSocket. `createBridge` relays pages
 * to allow-listed POP3 servers (doing TLS toward them); `createWebSocketListener` lets an
 * `@apop/node` server accept POP3 over WebSocket itself.
 */
export { CLOSE_CODES, type CloseCode } from "../protocol/close-codes.ts";
export type { UpstreamHello } from "../protocol/upstream-hello.ts";
export type { BridgeEvent, BridgeOptions, BridgeTarget } from "./bridge-options.ts";
export { type Bridge, createBridge } from "./create-bridge.ts";
export {
  createWebSocketListener,
  type WebSocketListener,
  type WebSocketListenerOptions,
} from "./create-websocket-listener.ts";
export type { WebTlsOptions } from "./open-web-server.ts";
export type { AllowedOrigins } from "./upgrade-gate.ts";
export { WebSocketServerTransport } from "./websocket-server-transport.ts";
