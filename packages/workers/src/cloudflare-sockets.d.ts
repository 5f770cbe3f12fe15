// The part of the Workers runtime's `cloudflare:sockets` module this package calls
// (https://developers.cloudflare.com/workers/runtime-apis/tcp-sockets/), so the package needs
// no runtime type package. `WorkersSocket` (workers-socket-transport.ts) is what the transport
// asks of a socket; this `Socket` must keep fitting it.
declare module "cloudflare:sockets" {
  export interface SocketOptions {
    /** "on": TLS from the first byte; "starttls": clear until `startTls()`. Default "off". */
    readonly secureTransport?: "off" | "on" | "starttls";
    readonly allowHalfOpen?: boolean;
  }

  export interface Socket {
    readonly readable: ReadableStream<Uint8Array>;
    readonly writable: WritableStream<Uint8Array>;
    readonly opened: Promise<{ readonly remoteAddress?: string; readonly localAddress?: string }>;
    readonly closed: Promise<void>;
    close(): Promise<void>;
    startTls(): Socket;
  }

  export function connect(
    address: { readonly hostname: string; readonly port: number },
    options?: SocketOptions,
  ): Socket;
}
