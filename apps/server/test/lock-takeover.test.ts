/**
 * A maildrop lock whose holder froze (SIGSTOP: a stopped process, a hung NFS client) blocks
 * its user for `lockStaleSeconds`, then another server takes the maildrop over; the frozen
 * holder, once it resumes, can never apply its deletes (RFC 1939 section 6 applies them only
 * in UPDATE, and the store checks it still holds the lock first).
 */
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Pop3Error } from "@apop/core";
import { connect } from "@apop/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const SECRET = "wonderland";
let fixture: Fixture;
let frozen: ServerProcess;
let other: ServerProcess;
let maildir: string;

beforeAll(async () => {
  fixture = createFixture();
  fixture.writeUsers([`alice:{PLAIN}${SECRET}`]);
  maildir = fixture.addMaildir("alice", []);
  writeFileSync(path.join(maildir, "new", "1700000001.a.host"), "Subject: a\n\nfirst\n");
  writeFileSync(path.join(maildir, "new", "1700000002.b.host"), "Subject: b\n\nsecond\n");
  const config = fixture.writeConfig({
    listen: "127.0.0.1:0",
    users: "users",
    maildirRoot: "mail",
    limits: { authFailureDelaySeconds: 0 },
    shutdownGraceSeconds: 1,
  });
  // One name everywhere: the flag for one server, the environment variable for the other.
  frozen = await ServerProcess.start(["--config", config, "--lock-stale-seconds", "10"]);
  other = await ServerProcess.start(["--config", config], {
    env: { APOP_SERVER_LOCK_STALE_SECONDS: "10" },
  });
}, 60_000);

afterAll(async () => {
  frozen?.signal("SIGCONT");
  await Promise.all([frozen?.stop(), other?.stop()]);
  fixture?.cleanup();
});

const login = async (server: ServerProcess) => {
  const client = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
  try {
    await client.apop("alice", SECRET);
  } catch (error) {
    // A refused login leaves the connection open: close it, or the retries below would reach
    // maxConnectionsPerAddress.
    await client.close();
    throw error;
  }
  return client;
};

const inUse = (error: unknown): boolean =>
  Pop3Error.isInstance(error) && error.responseCode === "IN-USE";

describe("a frozen lock holder (lockStaleSeconds)", () => {
  it("blocks the user until the lock is stale; resumed, it deletes nothing", async () => {
    const holder = await login(frozen);
    await holder.dele(1);
    frozen.signal("SIGSTOP");
    const refused = await login(other).catch((error: unknown) => error);
    expect(inUse(refused)).toBe(true);
    // Once the frozen lock is older than lockStaleSeconds, the other server takes it over.
    let taker: Awaited<ReturnType<typeof login>> | undefined;
    while (taker === undefined) {
      taker = await login(other).catch(async (error: unknown) => {
        if (!inUse(error)) throw error;
        await new Promise<void>((resolve) => setTimeout(resolve, 500));
        return undefined;
      });
    }
    expect((await taker.stat()).count).toBe(2);
    await taker.quit();
    frozen.signal("SIGCONT");
    // The resumed holder's QUIT must not apply its DELE: the lock is no longer its own.
    const quit = await holder.quit().catch((error: unknown) => error);
    expect(Pop3Error.isInstance(quit) && quit.responseCode).toBe("SYS/TEMP");
    expect(readdirSync(path.join(maildir, "new")).sort()).toEqual([
      "1700000001.a.host",
      "1700000002.b.host",
    ]);
  }, 120_000);
});
