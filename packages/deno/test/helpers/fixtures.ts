/** A Deno server on 127.0.0.1 with ephemeral ports and the shared accounts and messages. */
import { type Authenticator, MemoryStore } from "@apop/core";
import { type Pop3Server, type Pop3ServerEvent, type ServeOptions, serve } from "../../mod.ts";
import { ACCOUNTS, octets, TRICKY } from "../fixtures/tricky.mjs";

export const authenticator: Authenticator = {
  lookup: (user) =>
    Object.hasOwn(ACCOUNTS, user)
      ? { kind: "clear", secret: ACCOUNTS[user as keyof typeof ACCOUNTS] }
      : null,
};

export function trickyStore(): MemoryStore {
  return new MemoryStore({
    mailboxes: {
      alice: TRICKY.map((m) => octets(m.stored)),
      bob: [octets("Subject: hi\r\n\r\nbob\r\n")],
    },
    chunkSize: 7,
  });
}

export interface TestServers {
  readonly store: MemoryStore;
  /** Plain, with STLS when a certificate was given. */
  readonly plain: Pop3Server;
  /** Implicit TLS, when a certificate was given. */
  readonly implicit: Pop3Server | null;
  readonly events: Pop3ServerEvent[];
  close(graceMs?: number): Promise<void>;
}

/** A plain (STLS) server and, with `cert`, an implicit TLS one, sharing one store. */
export function startServers(
  options: Partial<Omit<ServeOptions, "store">> & { store?: MemoryStore } = {},
): TestServers {
  const store = options.store ?? trickyStore();
  const events: Pop3ServerEvent[] = [];
  const base: ServeOptions = {
    authenticator,
    serverName: "deno.test",
    authFailureDelayMs: 0,
    host: "127.0.0.1",
    port: 0,
    ...options,
    store,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  };
  const plain = serve(base);
  const implicit = options.tls === undefined ? null : serve({ ...base, implicitTls: true });
  return {
    store,
    plain,
    implicit,
    events,
    close: async (graceMs = 0) => {
      await Promise.all([plain.close({ graceMs }), implicit?.close({ graceMs })]);
    },
  };
}

/** Waits until `condition` holds, polling on the event loop. */
export async function until(condition: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > 1000) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
