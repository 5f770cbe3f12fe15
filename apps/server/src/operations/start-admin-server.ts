import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { HostPort } from "../config/host-port.ts";
import type { ServerMetrics } from "./server-metrics.ts";

/** The admin listener's address when only a port is given: loopback, never every interface. */
export const ADMIN_DEFAULT_HOST = "127.0.0.1";

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The admin listener (HTTP, off unless `adminListen` is set): `GET /metrics` in Prometheus'
 * text format, and `GET /health`, 200 `{"status":"ok",...}` while the server serves and 503
 * once it is shutting down, so a balancer or an orchestrator stops sending new connections.
 * Anything else is 404 (405 for another method). It is separate from the POP3 listeners so a
 * firewall can keep it private; it binds loopback unless told otherwise.
 */
export async function startAdminServer(options: {
  listen: HostPort;
  metrics: ServerMetrics;
  health: () => { readonly serving: boolean; readonly connections: number };
}): Promise<AdminServer> {
  const { metrics, health } = options;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://admin");
    const route = url.pathname === "/metrics" || url.pathname === "/health" ? url.pathname : null;
    if (route === null) return send(response, 404, "text/plain", "not found\n");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("allow", "GET, HEAD");
      return send(response, 405, "text/plain", "method not allowed\n");
    }
    if (route === "/health") {
      const state = health();
      const body = JSON.stringify({
        status: state.serving ? "ok" : "stopping",
        connections: state.connections,
      });
      return send(response, state.serving ? 200 : 503, "application/json", `${body}\n`);
    }
    metrics.registry.metrics().then(
      (text) => send(response, 200, metrics.registry.contentType, text),
      (error: unknown) => send(response, 500, "text/plain", `${String(error)}\n`),
    );
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { host: options.listen.host ?? ADMIN_DEFAULT_HOST, port: options.listen.port },
      () => {
        server.off("error", reject);
        resolve();
      },
    );
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(response: http.ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  response.end(response.req.method === "HEAD" ? undefined : body);
}
