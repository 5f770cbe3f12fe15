/**
 * Accounts, messages and a server started on ephemeral ports, shared by the test files.
 */
import { type Authenticator, type Credential, type MailStore, MemoryStore } from "@apop/core";
import type { TestPki } from "../../../../tooling/test-pki/test-pki.ts";
import { perFile } from "@apop/vitest-preset/per-file";
import {
  createPop3Server,
  type Pop3Server,
  type Pop3ServerEvent,
  type Pop3ServerOptions,
} from "../../src/index.ts";

export const latin1 = (text: string): Uint8Array => Buffer.from(text, "latin1");
export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

export const PASSWORD = "wonderland";
export const accounts: Record<string, Credential> = {
  alice: { kind: "clear", secret: PASSWORD },
  bob: { kind: "clear", secret: "builder" },
  carol: { kind: "clear", secret: "carol-secret" },
};
export const authenticator: Authenticator = { lookup: (user) => accounts[user] ?? null };

/**
 * Messages that trip naive stuffing and line handling, with what RFC 1939 section 3 says
 * must arrive after unstuffing: every line ending CRLF (a bare LF becomes CRLF), a CRLF added
 * to an unterminated last line, every other byte untouched.
 */
export const TRICKY: readonly { name: string; stored: Uint8Array; arrives: Uint8Array }[] = [
  { name: "empty message", stored: latin1(""), arrives: latin1("") },
  {
    name: "empty body",
    stored: latin1("Subject: nothing\r\n\r\n"),
    arrives: latin1("Subject: nothing\r\n\r\n"),
  },
  {
    name: "lines starting with a dot",
    stored: latin1("Subject: dots\r\n\r\n.hidden\r\n..two\r\n. space\r\nend\r\n"),
    arrives: latin1("Subject: dots\r\n\r\n.hidden\r\n..two\r\n. space\r\nend\r\n"),
  },
  {
    name: "a line that is only a dot",
    stored: latin1("Subject: dot\r\n\r\nbefore\r\n.\r\nafter\r\n.\r\n"),
    arrives: latin1("Subject: dot\r\n\r\nbefore\r\n.\r\nafter\r\n.\r\n"),
  },
  {
    name: "bare LF line endings",
    stored: latin1("Subject: lf\n\nfirst\n.\n.x\nlast\n"),
    arrives: latin1("Subject: lf\r\n\r\nfirst\r\n.\r\n.x\r\nlast\r\n"),
  },
  {
    name: "no final newline",
    stored: latin1("Subject: open\r\n\r\nthe last line"),
    arrives: latin1("Subject: open\r\n\r\nthe last line\r\n"),
  },
  {
    name: "no final newline after a dot",
    stored: latin1("Subject: open\r\n\r\n."),
    arrives: latin1("Subject: open\r\n\r\n.\r\n"),
  },
  {
    name: "8-bit bytes",
    stored: latin1("Subject: \xe9t\xe9\r\n\r\n\xff\x80\x00\x7f\r\n"),
    arrives: latin1("Subject: \xe9t\xe9\r\n\r\n\xff\x80\x00\x7f\r\n"),
  },
  {
    name: "UTF-8",
    stored: Buffer.from("Subject: Grüße 🎉\r\n\r\nこんにちは\r\n", "utf8"),
    arrives: Buffer.from("Subject: Grüße 🎉\r\n\r\nこんにちは\r\n", "utf8"),
  },
  {
    name: "a 2,000-character line",
    stored: latin1(`Subject: long\r\n\r\n.${"x".repeat(1999)}\r\n`),
    arrives: latin1(`Subject: long\r\n\r\n.${"x".repeat(1999)}\r\n`),
  },
  {
    name: "CR in the middle of a line",
    stored: latin1("Subject: cr\r\n\r\na\rb\r.\r\n"),
    arrives: latin1("Subject: cr\r\n\r\na\rb\r.\r\n"),
  },
];

/** The octet count LIST must report: what arrives, less a CRLF the server added at the end. */
export function listSize(message: { stored: Uint8Array; arrives: Uint8Array }): number {
  const last = message.stored.at(-1);
  return message.arrives.length - (last === undefined || last === 0x0a ? 0 : 2);
}

/** 10 MiB with bare-LF lines, dot lines and a missing final newline; and what must arrive. */
export function tenMebibyteMessage(): { stored: Uint8Array; arrives: Uint8Array } {
  const unit = "plain line of text\n.dot first\n.\n..\n";
  const count = Math.ceil((10 * 1024 * 1024) / unit.length);
  const stored = `Subject: big\n\n${unit.repeat(count)}tail`;
  const arrives = `Subject: big\r\n\r\n${unit.replaceAll("\n", "\r\n").repeat(count)}tail\r\n`;
  return { stored: latin1(stored), arrives: latin1(arrives) };
}

export interface TestServer<S extends MailStore = MemoryStore> {
  readonly server: Pop3Server;
  readonly store: S;
  /** The plain listener (STLS when a certificate is configured). */
  readonly port: number;
  /** The implicit TLS listener, when a certificate is configured. */
  readonly tlsPort: number | null;
  readonly events: Pop3ServerEvent[];
  close(graceMs?: number): Promise<void>;
}

/** A server on 127.0.0.1 with ephemeral ports, recording its events. */
export async function startServer<S extends MailStore = MemoryStore>(
  options: Partial<Omit<Pop3ServerOptions, "store">> & { store?: S } = {},
): Promise<TestServer<S>> {
  const store =
    options.store ??
    (new MemoryStore({
      mailboxes: {
        alice: TRICKY.map((m) => m.stored),
        bob: [latin1("Subject: hi\r\n\r\nbob\r\n")],
      },
      chunkSize: 7,
    }) as MailStore as S);
  const events: Pop3ServerEvent[] = [];
  const server = createPop3Server({
    authenticator,
    serverName: "pop.test",
    authFailureDelayMs: 0,
    ...options,
    store,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  const plain = await server.listen({ host: "127.0.0.1", port: 0 });
  const implicit =
    options.tls === undefined
      ? null
      : await server.listen({ host: "127.0.0.1", port: 0, implicitTls: true });
  return {
    server,
    store,
    port: plain.port,
    tlsPort: implicit?.port ?? null,
    events,
    close: (graceMs = 0) => server.close({ graceMs }),
  };
}

/** A server with `startServer`'s defaults and a certificate from `pki`, for a whole test file. */
export function perFileTlsServer(pki: TestPki): TestServer {
  return perFile(
    () => startServer({ tls: { key: pki.key, cert: pki.cert } }),
    (server) => server.close(),
  );
}

/** Waits until `condition` holds, polling on the event loop (no time threshold asserted). */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 2000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
