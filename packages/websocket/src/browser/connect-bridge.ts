import type { UpstreamHello } from "../protocol/upstream-hello.ts";
import { type WebSocketConstructor, WebSocketTransport } from "./websocket-transport.ts";

export interface ConnectBridgeOptions {
  /** The bridge's endpoint: `wss://bridge.example.org/pop3` (`ws://` on loopback). */
  readonly url: string | URL;
  /** The POP3 server, by its allow-list name or `host:port`. Omit for a direct listener. */
  readonly target?: string;
  /** Default `globalThis.WebSocket`. */
  readonly WebSocket?: WebSocketConstructor;
  /**
   * Longest wait until the bridge has reached the POP3 server (TLS included) and described
   * it, in ms. Default 45 s. Core's `connectTimeoutMs` is the same idea for a direct
   * connection; `replyTimeoutMs` is always the reply timeout.
   */
  readonly connectTimeoutMs?: number;
}

/**
 * Opens a WebSocket to a bridge and waits until the bridge has connected to `target` (TLS
 * included) and described that hop. The POP3 greeting is the transport's first bytes, so
 * core's `Pop3Client.connect({ transport, clock })` reads it as usual.
 *
 * Rejects with `BridgeError` when the bridge refuses (origin, allow-list, cap) or cannot
 * reach the server; its `closeCode` and `closeReason` say why.
 */
export async function connectBridge(
  options: ConnectBridgeOptions,
): Promise<{ transport: WebSocketTransport; upstream: UpstreamHello }> {
  const url = new URL(String(options.url));
  if (options.target !== undefined) url.searchParams.set("target", options.target);
  const transport = await WebSocketTransport.open({
    url,
    ...(options.WebSocket === undefined ? {} : { WebSocket: options.WebSocket }),
    ...(options.connectTimeoutMs === undefined
      ? {}
      : { connectTimeoutMs: options.connectTimeoutMs }),
  });
  return { transport, upstream: transport.upstream };
}
