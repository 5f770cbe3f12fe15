// LOGIN-DELAY (RFC 2449 section 6.5): enforced with [LOGIN-DELAY] from the time the store
// keeps with the maildrop, and advertised only where enforced.
import { describe, expect, it } from "vitest";
import {
  type Authenticator,
  type Clock,
  type MailStore,
  MemoryStore,
  Pop3Client,
  Pop3Error,
  serveConnection,
  StoreError,
} from "../src/index.ts";
import { resolveServerHostOptions } from "../src/internal.ts";
import { realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink } from "./helpers/memory-link.ts";

const authenticator: Authenticator = {
  lookup: (user) => (user === "alice" ? { kind: "clear", secret: "wonderland" } : null),
};

/** Real timers, but a wall clock the test sets. */
function settableClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => now, setTimer: realClock.setTimer, set: (ms) => (now = ms) };
}

async function session(store: MailStore, clock: Clock) {
  const link = createMemoryLink();
  const served = serveConnection({
    transport: link.server,
    store,
    authenticator,
    clock,
    randomBytes: (n) => new Uint8Array(n).fill(3),
    hostname: "test.invalid",
    policy: { loginDelay: 300, allowPlaintextAuth: true },
    authFailureDelayMs: 0,
  });
  const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
  return { client, served };
}

describe("LOGIN-DELAY", () => {
  it("refuses a login within the delay with [LOGIN-DELAY], counting from the last one that worked", async () => {
    const store = new MemoryStore({ mailboxes: { alice: [] } });
    const clock = settableClock(1_000_000);
    const first = await session(store, clock);
    expect((await first.client.capa())?.get("LOGIN-DELAY")).toEqual(["300"]);
    await first.client.login({
      user: "alice",
      password: "wonderland",
      method: "user",
      allowPlaintext: true,
    });
    await first.client.quit();

    clock.set(1_000_000 + 299_000);
    const early = await session(store, clock);
    const error = await early.client
      .login({ user: "alice", password: "wonderland", method: "user", allowPlaintext: true })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("login-delay");
    expect(store.isLocked("alice")).toBe(false);
    await early.client.quit();

    // The refused attempt did not count as a login: 300 s after the first, it works.
    clock.set(1_000_000 + 300_000);
    const later = await session(store, clock);
    await later.client.login({
      user: "alice",
      password: "wonderland",
      method: "user",
      allowPlaintext: true,
    });
    await later.client.quit();
  });

  it("is not advertised, nor enforced, over a store that keeps no last login", async () => {
    const memory = new MemoryStore({ mailboxes: { alice: [] } });
    const store: MailStore = { open: (user) => memory.open(user) };
    const { client } = await session(store, realClock);
    expect((await client.capa())?.has("LOGIN-DELAY")).toBe(false);
    await client.quit();
    expect(() =>
      resolveServerHostOptions({
        options: { store, authenticator, loginDelay: 60 },
        serverNameOption: "serverName",
        defaultServerName: () => "host.test",
        defaultClock: realClock,
      }),
    ).toThrow(/loginDelay needs a store that keeps the last login/);
  });

  it("releases the maildrop when the check itself fails (the last login unreadable)", async () => {
    const memory = new MemoryStore({ mailboxes: { alice: [] } });
    const store: MailStore = {
      keepsLastLogin: true,
      async open(user) {
        const drop = await memory.open(user);
        return Object.assign(Object.create(drop) as typeof drop, {
          lastLogin: async () => {
            throw new StoreError({ code: "sys-perm", message: "the last login is a FIFO" });
          },
          release: () => drop.release(),
          commit: (deleted: readonly number[]) => drop.commit(deleted),
        });
      },
    };
    const { client } = await session(store, realClock);
    const error = await client
      .login({ user: "alice", password: "wonderland", method: "user", allowPlaintext: true })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("sys-perm");
    expect(memory.isLocked("alice")).toBe(false);
    await client.quit();
  });
});
