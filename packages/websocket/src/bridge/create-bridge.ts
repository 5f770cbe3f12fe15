import type * as http from "node:http";
import type * as net from "node:net";
import type { Duplex } from "node:stream";
import { ConnectionAdmission } from "@apop/core/internal";
import { WebSocketServer } from "ws";
import { CLOSE_CODES, closeReason } from "../protocol/close-codes.ts";
import { BridgeConnection } from "./bridge-connection.ts";
import {
  type BridgeOptions,
  hostPort,
  type ResolvedBridgeOptions,
  type ResolvedTarget,
  resolveBridgeOptions,
} from "./bridge-options.ts";
import { closeWebServer, openWebServer } from "./open-web-server.ts";
import { pageHandler } from "./serve-page.ts";
import { checkUpgrade, invalid, refuseUpgrade } from "./upgrade-gate.ts";

export interface Bridge {
  /** The own server's address; null when attached to a caller's `server`. */
  readonly address: net.AddressInfo | null;
  /** Open WebSockets. */
  readonly connectionCount: number;
  /**
   * Stops accepting and closes every connection (1001 to the page, a plain disconnect to
   * the server: no deletes applied), then the own server. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Starts a WebSocket-to-POP3 bridge: a page opens `wss://host/pop3?target=name`, the bridge
 * connects to that target (only if it is in `targets`), readies TLS toward it, tells the
 * page about that hop in one text frame, and then moves POP3 bytes in binary frames.
 *
 * Refusals: a wrong path (404), a page whose `Origin` is not allowed or a plain `ws://`
 * upgrade on a non-loopback address (403) never become WebSockets; a missing or unknown
 * target (4400, 4403), the connection caps (1013) and upstream failures (4502, 4504) are
 * closes with a reason. See `CLOSE_CODES`.
 *
 * With `port`, the bridge runs its own HTTP(S) server (loopback only without `tls`, unless
 * `allowInsecureWs`); with `server`, it handles that server's upgrades on `path`. The own
 * server also counts its connections still before their upgrade (or page request) under the
 * same caps, on their own (a hanging request cannot take a WebSocket's place, nor pile up),
 * closing one over a cap at once, and ends a request that is not complete after
 * `requestTimeoutMs` (default 5 s).
 * Throws `LocalProtocolError` `invalid-argument` for bad options.
 */
export async function createBridge(options: BridgeOptions): Promise<Bridge> {
  const resolved = resolveBridgeOptions(options);
  const own = options.server === undefined;
  if (own === (options.port === undefined)) throw invalid("pass either port or server");
  if (!own && (options.tls !== undefined || options.host !== undefined)) {
    throw invalid("tls and host belong to the bridge's own server; configure your server instead");
  }
  const handler = pageHandler(resolved);
  const { server, address } = own
    ? await openWebServer({
        port: options.port as number,
        host: options.host,
        tls: options.tls,
        allowInsecureWs: resolved.allowInsecureWs,
        requestTimeoutMs: options.requestTimeoutMs,
        onRequest: handler,
      })
    : { server: options.server as http.Server, address: null };
  if (!own && resolved.servePage) server.on("request", handler);
  return new WebSocketBridge(resolved, server, own, address);
}

class WebSocketBridge implements Bridge {
  readonly address: net.AddressInfo | null;
  readonly #options: ResolvedBridgeOptions;
  readonly #server: http.Server;
  readonly #own: boolean;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<BridgeConnection>();
  readonly #admission: ConnectionAdmission;
  /** The own server's connections not yet upgraded, by `address|port`. */
  readonly #pending: ConnectionAdmission;
  readonly #pendingSockets = new Map<string, string>();
  #nextId = 1;
  #closing: Promise<void> | null = null;

  constructor(
    options: ResolvedBridgeOptions,
    server: http.Server,
    own: boolean,
    address: net.AddressInfo | null,
  ) {
    this.#options = options;
    this.#server = server;
    this.#own = own;
    this.address = address;
    this.#admission = new ConnectionAdmission(options);
    this.#pending = new ConnectionAdmission(options);
    if (own) server.on("connection", this.#onConnection);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      // Compression next to secrets invites CRIME-style guessing, and costs CPU.
      perMessageDeflate: false,
    });
    server.on("upgrade", this.#onUpgrade);
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#server.off("upgrade", this.#onUpgrade);
    this.#server.off("connection", this.#onConnection);
    const closed = this.#own ? closeWebServer(this.#server) : Promise.resolve();
    const connections = [...this.#connections];
    for (const connection of connections) {
      connection.close(CLOSE_CODES.goingAway, "the bridge is shutting down");
    }
    await Promise.all(connections.map((connection) => connection.done));
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    if (this.#own) this.#server.closeAllConnections();
    await closed;
  }

  /** The own server's new TCP connection: counted until it upgrades or closes. */
  readonly #onConnection = (socket: net.Socket): void => {
    const remoteAddress = socket.remoteAddress ?? "";
    if (this.#pending.admit(remoteAddress) !== null) {
      this.#options.onEvent({
        type: "upgrade-refused",
        remoteAddress,
        origin: null,
        reason: "pending-limit",
      });
      socket.destroy();
      return;
    }
    const key = `${remoteAddress}|${socket.remotePort}`;
    this.#pendingSockets.set(key, remoteAddress);
    socket.once("close", () => this.#leavePending(key));
  };

  #leavePending(key: string): void {
    const remoteAddress = this.#pendingSockets.get(key);
    if (remoteAddress === undefined) return;
    this.#pendingSockets.delete(key);
    this.#pending.release(remoteAddress);
  }

  readonly #onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const remoteAddress = request.socket.remoteAddress ?? "";
    // Upgraded (or refused now): no longer a pending request; a WebSocket counts below.
    this.#leavePending(`${remoteAddress}|${request.socket.remotePort}`);
    const origin = request.headers.origin ?? null;
    const refusal = checkUpgrade(request, this.#options);
    if (refusal !== null) {
      // Another handler on a caller's server may own other paths.
      if (refusal.reason === "path" && !this.#own) return;
      this.#options.onEvent({
        type: "upgrade-refused",
        remoteAddress,
        origin,
        reason: refusal.reason,
      });
      refuseUpgrade(socket, refusal.status, refusal.message);
      return;
    }
    if (this.#closing !== null) {
      this.#options.onEvent({ type: "upgrade-refused", remoteAddress, origin, reason: "closing" });
      refuseUpgrade(socket, 503, "the bridge is shutting down");
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      const id = this.#nextId++;
      const wanted = new URL(request.url ?? "/", "http://bridge.invalid").searchParams.get(
        "target",
      );
      this.#options.onEvent({
        type: "connection-opened",
        connection: id,
        remoteAddress,
        origin,
        target: wanted,
      });
      const refuse = (code: number, reason: string): void => {
        ws.close(code, closeReason(reason));
        this.#options.onEvent({
          type: "connection-closed",
          connection: id,
          code,
          reason: closeReason(reason),
          bytesFromBrowser: 0,
          bytesToBrowser: 0,
        });
      };
      if (wanted === null || wanted === "") {
        refuse(CLOSE_CODES.badRequest, "name a POP3 server: ?target=name");
        return;
      }
      const target = findTarget(this.#options.targets, wanted);
      if (target === null) {
        refuse(CLOSE_CODES.targetNotAllowed, `not in the bridge's allow-list: ${wanted}`);
        return;
      }
      // Core's counting: per client, an IPv6 /64 by default (`addressGroup`).
      const over = this.#admission.admit(remoteAddress);
      if (over !== null) {
        refuse(
          CLOSE_CODES.tryAgainLater,
          over === "maxConnections"
            ? "too many connections to the bridge; try again later"
            : "too many connections from your address; try again later",
        );
        return;
      }
      const connection = new BridgeConnection({ ws, target, bridge: this.#options, id });
      this.#connections.add(connection);
      void connection.run();
      void connection.done.then((close) => {
        this.#connections.delete(connection);
        this.#admission.release(remoteAddress);
        this.#options.onEvent({ type: "connection-closed", connection: id, ...close });
      });
    });
  };
}

/** By name first, then by `host:port`: only what the allow-list holds. */
function findTarget(targets: readonly ResolvedTarget[], wanted: string): ResolvedTarget | null {
  return (
    targets.find((target) => target.name === wanted) ??
    targets.find((target) => hostPort(target.host, target.port) === wanted) ??
    null
  );
}
