import * as http from "node:http";
import * as https from "node:https";
import type * as net from "node:net";
import { DEFAULT_WEB_REQUEST_TIMEOUT_MS, isLoopbackAddress } from "@apop/core/internal";
import type { AllowedOrigins } from "./upgrade-gate.ts";
import { invalid } from "./upgrade-gate.ts";

/** The certificate and key (PEM) for `wss://`. */
export interface WebTlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Where and how a WebSocket endpoint listens: the options the bridge and the listener share. */
export interface WebEndpointOptions {
  /** Pages allowed to connect (checked at the upgrade, HTTP 403 otherwise). */
  readonly allowedOrigins: AllowedOrigins;
  /** Accept upgrades without `Origin` (non-browser clients). Default false. */
  readonly allowMissingOrigin?: boolean;
  /** Attach to this HTTP(S) server instead of starting one (the caller listens and closes it). */
  readonly server?: http.Server;
  /** Start an own server on this port (0 picks one). */
  readonly port?: number;
  /** The own server's address. Default 127.0.0.1. */
  readonly host?: string;
  /** Serve `wss://` with this certificate (a `wss://` session counts as secure for core's policy). */
  readonly tls?: WebTlsOptions;
  /** Accept plain `ws://` on a non-loopback address. Default false. */
  readonly allowInsecureWs?: boolean;
  /** The WebSocket endpoint. Default `/pop3`. */
  readonly path?: string;
  /**
   * The own server's limit on one HTTP request (the page, or a WebSocket upgrade), from the
   * connection to its last header, TLS handshake included, in ms. Default 5 s
   * (`DEFAULT_WEB_REQUEST_TIMEOUT_MS`). A caller's `server` keeps its own settings.
   */
  readonly requestTimeoutMs?: number;
}

export interface OpenWebServerOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
  readonly tls?: WebTlsOptions | undefined;
  readonly allowInsecureWs: boolean;
  readonly onRequest: http.RequestListener;
  /** Default `DEFAULT_WEB_REQUEST_TIMEOUT_MS`. */
  readonly requestTimeoutMs?: number | undefined;
}

/**
 * Starts the HTTP(S) server a bridge or listener owns. Without a certificate it binds only
 * to a loopback address unless `allowInsecureWs`: a password must not cross a network hop in
 * clear, even on its way to a bridge that then uses TLS.
 *
 * A request that never finishes (a slowloris upgrade, a TLS handshake left half done) is
 * closed after `requestTimeoutMs`: Node's defaults would keep it 60 to 120 s.
 */
export async function openWebServer(
  options: OpenWebServerOptions,
): Promise<{ server: http.Server; address: net.AddressInfo }> {
  const host = options.host ?? "127.0.0.1";
  const { port } = options;
  if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
    throw invalid(`port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if (options.tls === undefined && !options.allowInsecureWs && !isLoopbackAddress(host)) {
    throw invalid(
      `without tls: { cert, key } the server listens on loopback only (host ${host}); pass allowInsecureWs to serve plain ws:// there`,
    );
  }
  const timeout = options.requestTimeoutMs ?? DEFAULT_WEB_REQUEST_TIMEOUT_MS;
  if (!(Number.isSafeInteger(timeout) && timeout > 0)) {
    throw invalid(`requestTimeoutMs must be a positive integer, got ${String(timeout)}`);
  }
  const limits: http.ServerOptions = {
    headersTimeout: timeout,
    requestTimeout: timeout,
    // Node checks the two above only this often (default 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeout / 4))),
  };
  const server: http.Server =
    options.tls === undefined
      ? http.createServer(limits, options.onRequest)
      : https.createServer(
          {
            ...limits,
            cert: options.tls.cert,
            key: options.tls.key,
            minVersion: "TLSv1.2",
            handshakeTimeout: timeout,
          },
          options.onRequest,
        );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { server, address: server.address() as net.AddressInfo };
}

/** Stops the server and drops its idle keep-alive connections (a page's, typically). */
export function closeWebServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
