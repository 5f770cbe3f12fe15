import { type Limits, Pop3Client } from "@apop/core";
import type { UpstreamHello } from "../protocol/upstream-hello.ts";
import { browserClock } from "./browser-clock.ts";
import { type ConnectBridgeOptions, connectBridge } from "./connect-bridge.ts";
import type { WebSocketTransport } from "./websocket-transport.ts";

export interface ConnectBridgeClientOptions extends ConnectBridgeOptions {
  /** Longest silence while a reply is owed, in ms (core's `Limits.replyTimeoutMs`). Default 60 s. */
  readonly replyTimeoutMs?: number;
  readonly limits?: Partial<Limits>;
  /** Largest message or listing accepted, in octets. Default: no limit. */
  readonly maxMessageOctets?: number;
}

/**
 * `connectBridge`, then core's `Pop3Client` on it, greeted. `client.secure` is the
 * transport's: true only when both hops are private, so `login` with the default `auto`
 * sends a password (USER/PASS, PLAIN) only then, and otherwise uses CRAM-MD5 or APOP.
 */
export async function connectBridgeClient(options: ConnectBridgeClientOptions): Promise<{
  client: Pop3Client;
  transport: WebSocketTransport;
  upstream: UpstreamHello;
}> {
  const { transport, upstream } = await connectBridge(options);
  const client = await Pop3Client.connect({
    transport,
    clock: browserClock,
    ...(options.limits === undefined && options.replyTimeoutMs === undefined
      ? {}
      : {
          limits: {
            ...options.limits,
            ...(options.replyTimeoutMs === undefined
              ? {}
              : { replyTimeoutMs: options.replyTimeoutMs }),
          },
        }),
    ...(options.maxMessageOctets === undefined
      ? {}
      : { maxMessageOctets: options.maxMessageOctets }),
  });
  return { client, transport, upstream };
}
