/**
 * A POP3 server (@apop/node, MemoryStore) and a raw WebSocket peer, shared by the tests.
 */
import * as net from "node:net";
import { type Authenticator, type MailStore, MemoryStore, type TokenValidator } from "@apop/core";
import { createPop3Server, type Pop3Server, type Pop3ServerEvent } from "@apop/node";
import { afterEach } from "vitest";
import { WebSocket } from "ws";
import type { TestPki } from "../../../../tooling/test-pki/test-pki.ts";

export const ORIGIN = "https://mail.example.test";
export const PASSWORD = "wonderland";
export const authenticator: Authenticator = {
  lookup: (user) => (user === "alice" ? { kind: "clear", secret: PASSWORD } : null),
};

export const latin1 = (text: string): Uint8Array => Buffer.from(text, "latin1");

export const HELLO = latin1(
  "From: Bob <bob@example.test>\r\nTo: alice@example.test\r\nSubject: Hello from apop\r\n" +
    "Date: Thu, 1 Jan 2026 10:00:00 +0000\r\n\r\nHi Alice,\r\n\r\nthis came through the bridge.\r\n",
);
export const GREETINGS = Buffer.from(
  "From: Carol <carol@example.test>\r\nTo: alice@example.test\r\n" +
    "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\nMIME-Version: 1.0\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
    "Sch=C3=B6ne Gr=C3=BC=C3=9Fe.\r\n.\r\n",
  "latin1",
);

export interface Pop3<Store extends MailStore = MemoryStore> {
  readonly server: Pop3Server;
  readonly store: Store;
  readonly port: number;
  readonly tlsPort: number;
  readonly events: Pop3ServerEvent[];
  close(): Promise<void>;
}

/**
 * A server on 127.0.0.1 with STLS on `port` and implicit TLS on `tlsPort`, serving
 * `mailboxes` from a MemoryStore, or `options.store`.
 */
export async function startPop3<Store extends MailStore = MemoryStore>(
  pki: TestPki,
  mailboxes: Record<string, Uint8Array[]> = { alice: [HELLO, GREETINGS] },
  options: {
    maxConnections?: number;
    listen?: boolean;
    store?: Store;
    tokenValidator?: TokenValidator;
  } = {},
): Promise<Pop3<Store>> {
  const store =
    options.store ?? (new MemoryStore({ mailboxes, chunkSize: 16 * 1024 }) as MailStore as Store);
  const events: Pop3ServerEvent[] = [];
  const server = createPop3Server({
    store,
    authenticator,
    serverName: "pop.test",
    authFailureDelayMs: 0,
    tls: { key: pki.key, cert: pki.cert },
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.tokenValidator === undefined ? {} : { tokenValidator: options.tokenValidator }),
    onEvent: (event) => events.push(event),
  });
  const listen = options.listen ?? true;
  const plain = listen ? await server.listen({ host: "127.0.0.1", port: 0 }) : null;
  const implicit = listen
    ? await server.listen({ host: "127.0.0.1", port: 0, implicitTls: true })
    : null;
  return {
    server,
    store,
    port: plain?.port ?? 0,
    tlsPort: implicit?.port ?? 0,
    events,
    close: () => server.close({ graceMs: 0 }),
  };
}

/** The keywords the POP3 server received, in order. */
export function commandsSeen(events: readonly Pop3ServerEvent[]): string[] {
  return events.flatMap((event) =>
    event.type === "session-event" && event.event.type === "command-received"
      ? [event.event.keyword]
      : [],
  );
}

/** A WebSocket client that records every frame and the close. */
export class WsPeer {
  readonly ws: WebSocket;
  readonly frames: { text: boolean; data: Buffer }[] = [];
  closeCode: number | null = null;
  closeReason = "";
  httpStatus: number | null = null;
  readonly opened: Promise<boolean>;
  readonly closed: Promise<void>;

  constructor(url: string, options: { origin?: string; ca?: string } = {}) {
    this.ws = new WebSocket(url, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    this.ws.on("message", (data, isBinary) => {
      this.frames.push({ text: !isBinary, data: data as Buffer });
    });
    this.opened = new Promise((resolve) => {
      this.ws.once("open", () => resolve(true));
      this.ws.once("unexpected-response", (_request, response) => {
        this.httpStatus = response.statusCode ?? null;
        resolve(false);
      });
      this.ws.once("error", () => resolve(false));
    });
    this.closed = new Promise((resolve) => {
      this.ws.once("close", (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        resolve();
      });
      this.ws.on("error", () => {});
    });
  }

  /** Binary frames so far, as latin-1 text. */
  get binaryText(): string {
    return this.frames
      .filter((frame) => !frame.text)
      .map((frame) => frame.data.toString("latin1"))
      .join("");
  }
}

/** Waits until `condition` holds, polling on the event loop. */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 2000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A TCP server that only counts connections: what a target outside the allow-list sees. */
export async function countingServer(): Promise<{
  port: number;
  count(): number;
  close(): Promise<void>;
}> {
  let count = 0;
  const server = net.createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    count: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * `ws`'s WebSocket shaped like the browser's (one `url` argument), sending `origin` as a
 * browser would, for the browser transport in Node. `created` collects the sockets, so a
 * test can pull the plug on one.
 */
export function nodeWebSocket(options: { origin?: string; ca?: string } = {}): {
  WebSocket: new (url: string) => globalThis.WebSocket;
  created: WebSocket[];
} {
  const created: WebSocket[] = [];
  class BrowserLike extends WebSocket {
    constructor(url: string) {
      super(url, {
        origin: options.origin ?? ORIGIN,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
      });
      // A browser's WebSocket fires "error" at no one harmlessly (a close while connecting
      // does); an EventEmitter throws it. Listeners added by the transport still get it.
      this.on("error", () => {});
      created.push(this);
      // A browser dispatches an error event and never throws; ws's EventEmitter throws an
      // 'error' nobody listens to (a close while still connecting, on a loaded machine).
      this.on("error", () => {});
    }
  }
  return {
    WebSocket: BrowserLike as unknown as new (url: string) => globalThis.WebSocket,
    created,
  };
}

/** A list the test pushes cleanups onto; after each test they run, last pushed first. */
export function cleanupsAfterEach(): (() => Promise<unknown>)[] {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}
