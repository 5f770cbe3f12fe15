/**
 * The POP3 server the tests fetch from, in the test process: `@apop/node`'s
 * `createPop3Server` over `@apop/maildir`'s store on a temporary root, with real TLS on a
 * plain listener (STLS) and an implicit-TLS listener. Every user's password is `PASSWORD`.
 */
import type { Maildrop, MailStore, TokenValidator } from "@apop/core";
import { createMaildirStore } from "@apop/maildir";
import { createPop3Server, type Pop3Server, type Pop3ServerEvent } from "@apop/node";
import { perFile, perFileTestPki } from "@apop/vitest-preset/per-file";
import type { TestPki } from "../../../../tooling/test-pki/test-pki.ts";
import { createWorkspace, type Workspace } from "./workspace.ts";

export const PASSWORD = "wonderland";

/** `apop fetch pop3s://USER@127.0.0.1:PORT --ca CA ...rest`: the fetch every test runs. */
export function fetchArgs(
  options: { port: number; user: string; ca: string },
  ...rest: string[]
): string[] {
  return [
    "fetch",
    `pop3s://${options.user}@127.0.0.1:${options.port}`,
    "--ca",
    options.ca,
    ...rest,
  ];
}

export interface TestServer {
  readonly server: Pop3Server;
  readonly store: MailStore;
  /** Plain listener: STLS offered. */
  readonly port: number;
  /** Implicit TLS listener. */
  readonly tlsPort: number;
  /** Everything the server reported (never a password). */
  readonly events: Pop3ServerEvent[];
  /** The login mechanisms used by `user`, in order (`APOP`, `USER`, `PLAIN`...). */
  mechanismsOf(user: string): string[];
  close(): Promise<void>;
}

export async function startServer(options: {
  root: string;
  pki: TestPki;
  store?: MailStore;
  /**
   * Users whose password is stored only as a hash (no clear secret): SCRAM, CRAM-MD5 and APOP
   * fail for them with [AUTH], as on a server that stores hashes per user.
   */
  hashed?: (user: string) => boolean;
  /** Offers OAUTHBEARER and XOAUTH2, checking tokens with this. */
  tokenValidator?: TokenValidator;
}): Promise<TestServer> {
  const store = options.store ?? createMaildirStore({ root: options.root });
  const events: Pop3ServerEvent[] = [];
  const server = createPop3Server({
    store,
    onEvent: (event) => events.push(event),
    authenticator: {
      lookup: (user) =>
        options.hashed?.(user) === true
          ? { kind: "hashed", verify: (password) => password === PASSWORD }
          : { kind: "clear", secret: PASSWORD },
    },
    ...(options.tokenValidator === undefined ? {} : { tokenValidator: options.tokenValidator }),
    tls: { key: options.pki.key, cert: options.pki.cert },
    serverName: "pop.test",
    authFailureDelayMs: 0,
  });
  const plain = await server.listen({ host: "127.0.0.1", port: 0 });
  const implicit = await server.listen({ host: "127.0.0.1", port: 0, implicitTls: true });
  return {
    server,
    store,
    port: plain.port,
    tlsPort: implicit.port,
    events,
    mechanismsOf: (user) =>
      events.flatMap((event) =>
        event.type === "session-event" &&
        event.event.type === "login-requested" &&
        event.event.user === user
          ? [event.event.mechanism]
          : [],
      ),
    close: () => server.close({ graceMs: 0 }),
  };
}

/**
 * For a whole test file: a test PKI, a workspace, and a server on the workspace's Maildirs
 * with a certificate from that PKI. Released after the file, the server first.
 */
export function perFileServer(): { pki: TestPki; work: Workspace; server: TestServer } {
  const pki = perFileTestPki();
  const work = perFile(createWorkspace, (workspace) => workspace.cleanup());
  const server = perFile(
    () => startServer({ root: work.root, pki }),
    (started) => started.close(),
  );
  return { pki, work, server };
}

/** A paused read: the server has sent part of a message and waits for `release`. */
export interface Gate {
  /** Resolves once the server has sent `afterBytes` of the gated message and is waiting. */
  readonly reached: Promise<void>;
  release(): void;
}

/**
 * Wraps a store so that the first read of message `index` (0-based) of `user` sends its first
 * `afterBytes` and then waits until the test releases it. This makes the server slow at an
 * exact place, so the client can be killed mid-message without any sleep. Later reads are
 * not gated.
 */
export function gateStore(options: {
  store: MailStore;
  user: string;
  index: number;
  afterBytes: number;
}): { store: MailStore; gate: Gate } {
  let release = (): void => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let onReached = (): void => {};
  const reached = new Promise<void>((resolve) => {
    onReached = resolve;
  });
  let armed = true;
  const store: MailStore = {
    async open(user: string): Promise<Maildrop> {
      const drop = await options.store.open(user);
      if (user !== options.user) return drop;
      return {
        messages: drop.messages,
        commit: (deleted) => drop.commit(deleted),
        release: () => drop.release(),
        read(index: number): AsyncIterable<Uint8Array> {
          const source = drop.read(index);
          if (index !== options.index || !armed) return source;
          armed = false;
          return (async function* gated(): AsyncGenerator<Uint8Array> {
            let sent = 0;
            let waited = false;
            for await (const chunk of source) {
              if (!waited && sent + chunk.length > options.afterBytes) {
                const cut = options.afterBytes - sent;
                if (cut > 0) yield chunk.subarray(0, cut);
                waited = true;
                onReached();
                await released;
                yield chunk.subarray(cut);
              } else {
                yield chunk;
              }
              sent += chunk.length;
            }
          })();
        },
      };
    },
  };
  return { store, gate: { reached, release } };
}
