import type * as http from "node:http";
import type * as net from "node:net";
import type { Duplex } from "node:stream";
import type * as tls from "node:tls";
import type { Pop3Server } from "@apop/node";
import { WebSocketServer } from "ws";
import { closeWebServer, openWebServer, type WebEndpointOptions } from "./open-web-server.ts";
import { checkUpgrade, invalid, refuseUpgrade, resolveAllowedOrigins } from "./upgrade-gate.ts";
import { WebSocketServerTransport } from "./websocket-server-transport.ts";

export interface WebSocketListenerOptions extends WebEndpointOptions {
  /** The server whose store, policy, limits, events and shutdown apply (`@apop/node`). */
  readonly pop3Server: Pop3Server;
  /** Largest WebSocket frame, in octets. Default 64 KiB. */
  readonly maxFrameBytes?: number;
}

export interface WebSocketListener {
  /** The own server's address; null when attached to a caller's `server`. */
  readonly address: net.AddressInfo | null;
  /** Stops accepting. Sessions end with the POP3 server's `close()`. Idempotent. */
  close(): Promise<void>;
}

/**
 * POP3 over WebSocket without a bridge: every accepted WebSocket is one session of
 * `pop3Server` (`serveTransport`), in binary frames, with the bridge's opening text frame so
 * the same browser client works. The connection caps are the POP3 server's (over them the
 * page gets `-ERR [SYS/TEMP]`); its idle timeout ends idle sessions. No STLS over WebSocket:
 * use `wss://`, or APOP/CRAM-MD5, which keep the password off the wire.
 */
export async function createWebSocketListener(
  options: WebSocketListenerOptions,
): Promise<WebSocketListener> {
  if (typeof options.pop3Server?.serveTransport !== "function") {
    throw invalid("pop3Server must be a server from @apop/node's createPop3Server");
  }
  const own = options.server === undefined;
  if (own === (options.port === undefined)) throw invalid("pass either port or server");
  const maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
  if (!(Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0)) {
    throw invalid("maxFrameBytes must be a positive integer");
  }
  const gate = {
    path: options.path ?? "/pop3",
    allowedOrigins: resolveAllowedOrigins(options.allowedOrigins),
    allowMissingOrigin: options.allowMissingOrigin ?? false,
    allowInsecureWs: options.allowInsecureWs ?? false,
  };
  const { server, address } = own
    ? await openWebServer({
        port: options.port as number,
        host: options.host,
        tls: options.tls,
        allowInsecureWs: gate.allowInsecureWs,
        requestTimeoutMs: options.requestTimeoutMs,
        onRequest: (_request, response) => {
          response.writeHead(426, { "Content-Type": "text/plain; charset=utf-8" });
          response.end("This is a POP3 over WebSocket endpoint.\n");
        },
      })
    : { server: options.server as http.Server, address: null };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    perMessageDeflate: false,
  });
  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const refusal = checkUpgrade(request, gate);
    if (refusal !== null) {
      if (refusal.reason === "path" && !own) return;
      refuseUpgrade(socket, refusal.status, refusal.message);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const secure = (request.socket as tls.TLSSocket).encrypted === true;
      const transport = new WebSocketServerTransport({ ws, secure });
      void options.pop3Server.serveTransport({
        transport,
        remoteAddress: request.socket.remoteAddress ?? "",
        remotePort: request.socket.remotePort ?? 0,
        localPort: request.socket.localPort ?? 0,
        abort: () => transport.abort(),
      });
    });
  };
  server.on("upgrade", onUpgrade);
  let closing: Promise<void> | null = null;
  return {
    address,
    close: () => {
      closing ??= (async () => {
        server.off("upgrade", onUpgrade);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        if (own) await closeWebServer(server);
      })();
      return closing;
    },
  };
}
