import * as net from "node:net";
import {
  formatStatusLine,
  Pop3Client,
  Pop3Error,
  RemoteProtocolError,
  type StatusLine,
  type Transport,
} from "@apop/core";
import { NodeSocketTransport, nodeClock } from "@apop/node";
import type { ResolvedTarget } from "./bridge-options.ts";

/** A POP3 server connection, greeted, and inside TLS when the target asks for it. */
export interface Upstream {
  /** The connection, from the first byte after what core's client read. */
  readonly transport: Pick<Transport, "read" | "write" | "close">;
  readonly secure: boolean;
  /** The greeting as core read it, CRLF included: what the page's own client reads first. */
  readonly greetingBytes: Uint8Array;
  /** The greeting line as text, without its line ending. */
  readonly greeting: string;
}

/** Why the upstream could not be opened: a message for the page, and whether time ran out. */
export class UpstreamError extends Error {
  readonly timedOut: boolean;

  constructor(message: string, timedOut: boolean) {
    super(message);
    this.name = "UpstreamError";
    this.timedOut = timedOut;
  }
}

/**
 * Connects to a target and readies it: TCP; TLS for `implicit`; then core's `Pop3Client`
 * reads the greeting and, for `starttls`, runs its `requireTls` (CAPA must list STLS, STLS
 * must succeed, clear bytes after the `+OK` are discarded: RFC 2595 section 4), all before a
 * single byte of the page is relayed. The bridge parses no POP3 itself: line limits, the
 * greeting's grammar and the STLS rules are core's. Then the connection is taken back from
 * the client and handed to the relay; the page gets the greeting and a server in the
 * AUTHORIZATION state, exactly what a greeting promises. A `-ERR` greeting (busy,
 * `[SYS/TEMP]`) goes to the page as it is, and the connection ends after it.
 *
 * The whole setup must finish within `timeoutMs` (a silent server must not hold a slot) and
 * stops at once when `signal` aborts (the page left). Rejects with `UpstreamError`.
 */
export async function openUpstream(options: {
  readonly target: ResolvedTarget;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}): Promise<Upstream> {
  const { target, timeoutMs, signal } = options;
  let timedOut = false;
  let socket: net.Socket | null = null;
  let transport: NodeSocketTransport | null = null;
  const drop = (): void => {
    if (transport !== null) transport.abort();
    else socket?.destroy();
  };
  // One signal for "stop now": the page left, or the time is up.
  const stop = new AbortController();
  stop.signal.addEventListener("abort", drop, { once: true });
  const onAbort = (): void => stop.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, timeoutMs);
  timer.unref();
  const where = `${target.host}:${target.port}`;
  try {
    if (signal.aborted) throw new UpstreamError("cancelled", false);
    socket = await step(
      connectTcp(target.host, target.port, stop.signal),
      `could not reach ${where}`,
    );
    transport = new NodeSocketTransport({
      socket,
      tlsHandshakeTimeoutMs: timeoutMs,
      startTls: {
        side: "client",
        host: target.host,
        servername: target.servername,
        ca: target.ca,
      },
    });
    // Implicit TLS is an upgrade before the first byte (RFC 8314 section 3).
    if (target.tls === "implicit") {
      await step((transport.upgrade as () => Promise<void>)(), `TLS with ${where} failed`);
    }
    const lent = new LentTransport(transport);
    let greeting: StatusLine;
    try {
      const client = await Pop3Client.connect({
        transport: lent,
        clock: nodeClock,
        limits: { replyTimeoutMs: timeoutMs },
        requireTls: target.tls === "starttls",
      });
      greeting = { ok: true, text: client.greeting.text };
    } catch (error) {
      if (!(Pop3Error.isInstance(error) && error.command === "GREETING")) throw error;
      // Core closed the connection after the -ERR greeting; the page still reads it.
      greeting = {
        ok: false,
        ...(error.responseCode === undefined ? {} : { code: error.responseCode }),
        text: error.serverText,
      };
    }
    const greetingBytes = formatStatusLine(greeting);
    return {
      transport: lent.takeBack(),
      secure: transport.secure,
      greetingBytes,
      greeting: new TextDecoder().decode(greetingBytes.subarray(0, -2)),
    };
  } catch (error) {
    drop();
    if (timedOut) {
      throw new UpstreamError(`${where} did not get ready within ${timeoutMs} ms`, true);
    }
    if (error instanceof UpstreamError) throw error;
    if (RemoteProtocolError.isInstance(error)) {
      throw new UpstreamError(`${where} ${setupStep(error)}: ${error.message}`, false);
    }
    // The TLS handshake after STLS (a certificate refused), or the socket failing.
    throw new UpstreamError(
      `the connection to ${where} failed: ${(error as Error).message}`,
      false,
    );
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** Which part of the set-up a core error ended, for the page's close reason. */
function setupStep(error: RemoteProtocolError): string {
  switch (error.code) {
    case "tls-unavailable":
      return "cannot do STLS";
    case "connection-closed":
      return "closed the connection";
    case "timeout":
      return "did not answer in time";
    default:
      return "did not greet like a POP3 server";
  }
}

/**
 * The upstream connection, lent to core's `Pop3Client` for the greeting and STLS and then
 * taken back for the relay. The client keeps a read outstanding while it waits for nothing
 * (to catch unsolicited bytes); once taken back, whatever that read brings goes to the new
 * owner, and the set-aside client never hears from the connection again.
 */
class LentTransport implements Transport {
  readonly #inner: NodeSocketTransport;
  #inFlight: Promise<Uint8Array | null> | null = null;
  #takenBack = false;

  constructor(inner: NodeSocketTransport) {
    this.#inner = inner;
  }

  get secure(): boolean {
    return this.#inner.secure;
  }

  read(): Promise<Uint8Array | null> {
    if (this.#takenBack) return new Promise(() => {});
    const reading = this.#inner.read();
    this.#inFlight = reading;
    return reading.then(
      (chunk) => {
        if (this.#inFlight === reading) this.#inFlight = null;
        return this.#takenBack ? new Promise<never>(() => {}) : chunk;
      },
      (error: unknown) => {
        if (this.#inFlight === reading) this.#inFlight = null;
        return this.#takenBack ? new Promise<never>(() => {}) : Promise.reject(error);
      },
    );
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#inner.write(bytes);
  }

  upgrade(): Promise<void> {
    return (this.#inner.upgrade as () => Promise<void>)();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  /** Ends the loan: the relay reads from here on, starting with the client's read in flight. */
  takeBack(): Pick<Transport, "read" | "write" | "close"> {
    this.#takenBack = true;
    let first = this.#inFlight;
    this.#inFlight = null;
    const inner = this.#inner;
    return {
      read: () => {
        const next = first ?? inner.read();
        first = null;
        return next;
      },
      write: (bytes) => inner.write(bytes),
      close: () => inner.close(),
    };
  }
}

/** Awaits one setup step, naming it in the error. */
async function step<T>(promise: Promise<T>, what: string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(`${what}: ${(error as Error).message}`, false);
  }
}

function connectTcp(host: string, port: number, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const onAbort = (): void => done(new Error("cancelled"));
    const done = (error: Error | null): void => {
      socket.off("connect", onConnect);
      socket.off("error", onError);
      signal.removeEventListener("abort", onAbort);
      // From here errors surface through the transport; an unwatched 'error' would crash us.
      socket.on("error", () => {});
      if (error === null) resolve(socket);
      else {
        socket.destroy();
        reject(error);
      }
    };
    const onConnect = (): void => done(null);
    const onError = (error: Error): void => done(error);
    socket.once("connect", onConnect);
    socket.once("error", onError);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
