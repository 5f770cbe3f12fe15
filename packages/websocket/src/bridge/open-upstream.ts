import * as net from "node:net";
import { parseStatusLine, RemoteProtocolError } from "@apop/core";
import { NodeSocketTransport } from "@apop/node";
import { decodeGreeting } from "../protocol/upstream-hello.ts";
import type { ResolvedTarget } from "./bridge-options.ts";

/** A POP3 server connection, greeted, and inside TLS when the target asks for it. */
export interface Upstream {
  readonly transport: NodeSocketTransport;
  readonly secure: boolean;
  /** The greeting as the server sent it, line ending included: relayed to the page as is. */
  readonly greetingBytes: Uint8Array;
  /** The greeting line as text, without its line ending. */
  readonly greeting: string;
  /** Bytes that came after the greeting (implicit TLS or clear only): relayed after it. */
  readonly rest: Uint8Array;
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

/** A greeting or STLS reply longer than this is not POP3 (RFC 2449 section 4: 512 octets). */
const MAX_LINE = 8 * 1024;

/**
 * Connects to a target and readies it: TCP; TLS for `implicit`; for `starttls` the greeting,
 * then `STLS`, its `+OK` and the handshake (RFC 2595 section 4), all before a single byte of
 * the page is relayed. The STLS exchange stays here: the page gets the original greeting and
 * a server in the AUTHORIZATION state, exactly what a greeting promises.
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
    socket = await connectTcp(target.host, target.port, stop.signal);
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
    const upgrade = transport.upgrade as () => Promise<void>;
    // Implicit TLS is an upgrade before the first byte (RFC 8314 section 3).
    if (target.tls === "implicit") await step(upgrade(), `TLS with ${where} failed`);
    const lines = new LineSplitter();
    const greeting = await readLine(transport, lines, `${where} sent no greeting`);
    const status = parseStatusLine(greeting.line);
    if (status === null)
      throw new UpstreamError(`${where} did not greet like a POP3 server`, false);
    // A -ERR greeting (busy, [SYS/TEMP]) goes to the page as it is, in whatever clear it came.
    if (target.tls === "starttls" && status.ok) {
      await step(transport.write(STLS), `${where} closed the connection`);
      const reply = await readLine(transport, lines, `${where} did not answer STLS`);
      const stls = parseStatusLine(reply.line);
      if (stls?.ok !== true) {
        const said = stls === null ? decodeGreeting(reply.line) : stls.text;
        throw new UpstreamError(`${where} refused STLS: ${truncate(said)}`, false);
      }
      // Anything sent in clear after the +OK is dropped (CVE-2011-0411's response side).
      await step(upgrade(), `TLS with ${where} failed`);
      return finish(transport, greeting, new Uint8Array(0));
    }
    return finish(transport, greeting, lines.rest());
  } catch (error) {
    drop();
    if (timedOut) {
      throw new UpstreamError(`${where} did not get ready within ${timeoutMs} ms`, true);
    }
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError(`could not reach ${where}: ${(error as Error).message}`, false);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

const STLS = new TextEncoder().encode("STLS\r\n");

function finish(
  transport: NodeSocketTransport,
  greeting: { line: Uint8Array; raw: Uint8Array },
  rest: Uint8Array,
): Upstream {
  return {
    transport,
    secure: transport.secure,
    greetingBytes: greeting.raw,
    greeting: decodeGreeting(greeting.line),
    rest,
  };
}

/** Splits the first lines off a byte stream, keeping their raw bytes. */
class LineSplitter {
  #buffer = new Uint8Array(0);

  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    this.#buffer = joined;
  }

  /** The next line (without CRLF) and its raw bytes, or null until more arrive. */
  next(): { line: Uint8Array; raw: Uint8Array } | null {
    const lf = this.#buffer.indexOf(0x0a);
    if (lf === -1) return null;
    const raw = this.#buffer.subarray(0, lf + 1);
    const end = lf > 0 && this.#buffer[lf - 1] === 0x0d ? lf - 1 : lf;
    this.#buffer = this.#buffer.subarray(lf + 1);
    return { line: raw.subarray(0, end), raw };
  }

  get buffered(): number {
    return this.#buffer.length;
  }

  rest(): Uint8Array {
    return this.#buffer;
  }
}

async function readLine(
  transport: NodeSocketTransport,
  lines: LineSplitter,
  closedMessage: string,
): Promise<{ line: Uint8Array; raw: Uint8Array }> {
  for (;;) {
    const line = lines.next();
    if (line !== null) return line;
    if (lines.buffered > MAX_LINE)
      throw new UpstreamError("the POP3 server sent an overlong line", false);
    const chunk = await transport.read();
    if (chunk === null) throw new UpstreamError(closedMessage, false);
    lines.push(chunk);
  }
}

/** Awaits one setup step, naming it in the error. */
async function step<T>(promise: Promise<T>, what: string): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof UpstreamError) throw error;
    const detail = RemoteProtocolError.isInstance(error) ? error.message : (error as Error).message;
    throw new UpstreamError(`${what}: ${detail}`, false);
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

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 60)}…` : value;
}
