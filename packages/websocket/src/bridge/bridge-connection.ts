import type { WebSocket } from "ws";
import { CLOSE_CODES, closeReason } from "../protocol/close-codes.ts";
import { formatUpstreamHello } from "../protocol/upstream-hello.ts";
import type { ResolvedBridgeOptions, ResolvedTarget } from "./bridge-options.ts";
import { openUpstream, type Upstream, UpstreamError } from "./open-upstream.ts";

/** How a connection ended: the bridge's close code and reason, or the page's own. */
export interface BridgeClose {
  readonly code: number;
  readonly reason: string;
  readonly bytesFromBrowser: number;
  readonly bytesToBrowser: number;
}

/**
 * One page's WebSocket and its POP3 server connection, and the bytes between them.
 *
 * Order of business: hold the page's frames (the socket is paused), open and ready the
 * upstream, send the one text frame that describes it, then the greeting, then relay. From
 * then on only binary frames are accepted; anything else ends both sides. Either side
 * closing closes the other: the page's frames already received are written to the server
 * first (a QUIT must arrive), and the server's bytes are all sent before the close frame.
 * A page that vanishes makes the bridge close its server connection like any client that
 * hangs up without QUIT, so the server applies no deletes (RFC 1939 section 6).
 */
export class BridgeConnection {
  readonly #ws: WebSocket;
  readonly #target: ResolvedTarget;
  readonly #options: ResolvedBridgeOptions;
  readonly #id: number;
  readonly #stop = new AbortController();
  #upstream: Upstream["transport"] | null = null;
  /** Resolves with the upstream once relaying starts; rejects if it never does. */
  readonly #ready: Promise<Upstream["transport"]>;
  #resolveReady!: (upstream: Upstream["transport"]) => void;
  #rejectReady!: (error: Error) => void;
  /** The page's frames, written to the server in order once it is ready. */
  #writes: Promise<void> = Promise.resolve();
  #pendingWrites = 0;
  #relaying = false;
  #fromBrowser = 0;
  #toBrowser = 0;
  #idle: ReturnType<typeof setTimeout> | null = null;
  #closed: BridgeClose | null = null;
  readonly done: Promise<BridgeClose>;
  #resolveDone!: (close: BridgeClose) => void;

  constructor(options: {
    ws: WebSocket;
    target: ResolvedTarget;
    bridge: ResolvedBridgeOptions;
    id: number;
  }) {
    this.#ws = options.ws;
    this.#target = options.target;
    this.#options = options.bridge;
    this.#id = options.id;
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.#ready.catch(() => {});
    // Nothing from the page is read until the upstream is ready (and STLS done).
    this.#ws.pause();
    this.#ws.on("message", (data, isBinary) => this.#fromPage(data as Buffer, isBinary));
    this.#ws.on("close", (code, reason) =>
      this.#finish(code, reason.toString() || "the page closed the connection"),
    );
    this.#ws.on("error", () => {});
    this.#touch();
  }

  /** Opens the upstream and relays until either side ends. */
  async run(): Promise<void> {
    const target = this.#target;
    let upstream: Upstream;
    try {
      upstream = await openUpstream({
        target,
        timeoutMs: this.#options.upstreamTimeoutMs,
        signal: this.#stop.signal,
      });
    } catch (error) {
      const timedOut = error instanceof UpstreamError && error.timedOut;
      this.#finish(
        timedOut ? CLOSE_CODES.upstreamTimeout : CLOSE_CODES.upstreamFailed,
        (error as Error).message,
      );
      return;
    }
    this.#upstream = upstream.transport;
    if (this.#closed !== null) {
      void upstream.transport.close();
      return;
    }
    this.#options.onEvent({
      type: "upstream-ready",
      connection: this.#id,
      target: target.name,
      secure: upstream.secure,
    });
    this.#ws.send(
      formatUpstreamHello({
        target: target.name,
        secure: upstream.secure,
        tls: target.tls,
        greeting: upstream.greeting,
      }),
    );
    this.#relaying = true;
    this.#resolveReady(upstream.transport);
    if (this.#pendingWrites === 0) this.#ws.resume();
    try {
      await this.#toPage(upstream.greetingBytes);
      for (;;) {
        const chunk = await upstream.transport.read();
        if (chunk === null) break;
        await this.#toPage(chunk);
      }
      this.#finish(CLOSE_CODES.normal, "the POP3 server closed the connection");
    } catch {
      // The page went away or a cap was hit: #finish has run already, or runs now.
      this.#finish(CLOSE_CODES.normal, "the page closed the connection");
    }
  }

  /** Ends both sides (idempotent): `code` and `reason` are what the page is told. */
  close(code: number, reason: string): void {
    this.#finish(code, reason);
  }

  async #toPage(chunk: Uint8Array): Promise<void> {
    if (this.#closed !== null) throw new Error("closed");
    this.#toBrowser += chunk.length;
    if (this.#toBrowser > this.#options.maxBytesToBrowser) {
      this.#finish(CLOSE_CODES.byteLimit, "the bridge's byte limit toward the page was reached");
      throw new Error("byte limit");
    }
    this.#touch();
    // Wait until ws has handed the frame to the socket: a slow page slows the server down
    // (TCP flow control upstream) instead of growing a buffer here.
    await new Promise<void>((resolve, reject) => {
      this.#ws.send(chunk, { binary: true }, (error) => (error ? reject(error) : resolve()));
    });
  }

  #fromPage(data: Buffer, isBinary: boolean): void {
    if (this.#closed !== null) return;
    if (!isBinary) {
      this.#finish(
        CLOSE_CODES.unsupportedData,
        "text frames are not accepted: POP3 travels in binary frames",
      );
      return;
    }
    this.#fromBrowser += data.length;
    if (this.#fromBrowser > this.#options.maxBytesFromBrowser) {
      this.#finish(CLOSE_CODES.byteLimit, "the bridge's byte limit from the page was reached");
      return;
    }
    this.#touch();
    // One frame in flight at a time: the page's socket stays paused while the server is slow.
    this.#pendingWrites++;
    this.#ws.pause();
    this.#writes = this.#writes
      .then(() => this.#ready)
      .then((upstream) => upstream.write(data))
      .then(
        () => {
          this.#pendingWrites--;
          if (this.#pendingWrites === 0 && this.#closed === null && this.#relaying) {
            this.#ws.resume();
          }
        },
        () => {
          this.#pendingWrites--;
          this.#finish(CLOSE_CODES.upstreamFailed, "the connection to the POP3 server failed");
        },
      );
  }

  #touch(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    const ms = this.#options.idleTimeoutMs;
    this.#idle = setTimeout(() => this.#finish(CLOSE_CODES.idleTimeout, `idle for ${ms} ms`), ms);
    this.#idle.unref();
  }

  #finish(code: number, reason: string): void {
    if (this.#closed !== null) return;
    const close = {
      code,
      reason: closeReason(reason),
      bytesFromBrowser: this.#fromBrowser,
      bytesToBrowser: this.#toBrowser,
    };
    this.#closed = close;
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#stop.abort();
    this.#rejectReady(new Error("closed before the upstream was ready"));
    const ws = this.#ws;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
      // RFC 6455 section 7.4.1: 1005/1006/1015 may not be sent; they only describe a close.
      const sendable = code === 1005 || code === 1006 || code === 1015 ? CLOSE_CODES.normal : code;
      ws.close(sendable, close.reason);
      // A paused socket would never read the page's answering close frame.
      ws.resume();
    }
    // Frames the page sent before it left (QUIT) still reach the server, then our FIN.
    const upstream = this.#upstream;
    const upstreamClosed =
      upstream === null
        ? Promise.resolve()
        : this.#writes.finally(() => upstream.close()).catch(() => {});
    // The close handshake with the page may take ws's closeTimeout; don't wait for it here.
    void upstreamClosed.then(() => this.#resolveDone(close));
  }
}
