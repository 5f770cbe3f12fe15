/**
 * @apop/websocket/browser: core's POP3 client in a web page, over a WebSocket to a bridge
 * (or to a POP3 server's own WebSocket listener). Core is bundled in: no Node APIs here.
 */
export { CLOSE_CODES, type CloseCode } from "../protocol/close-codes.ts";
export type { UpstreamHello } from "../protocol/upstream-hello.ts";
export { BridgeError } from "./bridge-error.ts";
export { browserClock } from "./browser-clock.ts";
export { type ConnectBridgeOptions, connectBridge } from "./connect-bridge.ts";
export { type ConnectBridgeClientOptions, connectBridgeClient } from "./connect-bridge-client.ts";
export {
  type WebSocketConstructor,
  WebSocketTransport,
  type WebSocketTransportOptions,
} from "./websocket-transport.ts";

// The client side of core, from this same bundle (a second copy of core would not match it).
// The page (apop-server --web) also needs two of core's internal helpers.
export { encodeBase64, MIN_IDLE_TIMEOUT_MS } from "@apop/core/internal";
export {
  ApopError,
  type LoginMethod,
  type LoginOptions,
  LocalProtocolError,
  Pop3Client,
  Pop3Error,
  RemoteProtocolError,
  type ScanListing,
  type TopEachOptions,
  type TopResult,
  type UniqueIdListing,
} from "@apop/core";
