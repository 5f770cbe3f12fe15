// Past one machine: Debian's HAProxy in front of two apop-server processes that share one
// Maildir root, with PROXY protocol v2, POP3 health checks and `option redispatch`
// (docs/scaling.md cites this test as its evidence).
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFixture, type Fixture, MESSAGES } from "./helpers/fixture.ts";
import { startHaproxy } from "./helpers/haproxy.ts";
import { LineClient } from "./helpers/line-client.ts";
import { ServerProcess } from "./helpers/server-process.ts";

/** The address the test's clients connect from: what the servers must see, not HAProxy's. */
const CLIENT_ADDRESS = "127.0.0.3";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBackend(fixture: Fixture): Promise<ServerProcess> {
  const server = await ServerProcess.start([
    ...fixture.serverArgs(),
    "--allow-plaintext-auth",
    "--auth-failure-delay",
    "0",
    "--proxy-protocol-trusted",
    "127.0.0.1",
  ]);
  cleanups.push(() => server.stop());
  return server;
}

/** Connects through HAProxy and logs in as alice; the status line of PASS (null: cut off). */
async function login(port: number): Promise<{ client: LineClient; status: string | null }> {
  const client = await LineClient.connect({ port, localAddress: CLIENT_ADDRESS });
  cleanups.push(() => client.destroy());
  const greeting = await client.line();
  if (greeting === null || !greeting.startsWith("+OK")) return { client, status: greeting };
  await client.command("USER alice");
  return { client, status: await client.command("PASS wonderland") };
}

const loginsOf = (server: ServerProcess, reason?: string) =>
  server.logs.filter((r) =>
    reason === undefined ? r.event === "auth-ok" : r.event === "auth-failed" && r.reason === reason,
  );

const filesIn = (maildir: string): string[] =>
  ["new", "cur"].flatMap((sub) => readdirSync(path.join(maildir, sub))).sort();

describe("behind HAProxy, two processes on one Maildir root", () => {
  it("locks a maildrop across both, survives SIGKILL of one mid-session, and sees real client addresses", async () => {
    const fixture = createFixture();
    cleanups.push(() => fixture.cleanup());
    fixture.writeUsers(["alice:{PLAIN}wonderland"]);
    const maildir = fixture.addMaildir("alice", MESSAGES);
    const before = filesIn(maildir);
    const servers = [await startBackend(fixture), await startBackend(fixture)];
    const proxy = await startHaproxy({
      dir: fixture.dir,
      backends: servers.map((server) => server.port("none")),
    });
    cleanups.push(() => proxy.stop());
    // Both backends pass a health check (a v2 LOCAL header, the greeting, QUIT) first.
    for (const server of servers) {
      await server.waitForLog((r) => r.event === "connect" && r.proxiedBy === "127.0.0.1");
    }

    const first = await login(proxy.port);
    expect(first.status).toMatch(/^\+OK/);
    const holder = servers.find((server) => loginsOf(server).length === 1) as ServerProcess;
    const survivor = servers.find((server) => server !== holder) as ServerProcess;
    const connect = holder.logs.find((r) => r.event === "connect" && r.remote === CLIENT_ADDRESS);
    expect(connect).toMatchObject({ proxiedBy: "127.0.0.1" });

    // Round robin sends the next logins to each process in turn: every one is [IN-USE].
    while (
      loginsOf(servers[0] as ServerProcess, "in-use").length === 0 ||
      loginsOf(servers[1] as ServerProcess, "in-use").length === 0
    ) {
      const again = await login(proxy.port);
      expect(again.status).toMatch(/^-ERR \[IN-USE\]/);
      again.client.destroy();
    }

    // Mid-session: a listing, a download and two deletions, then the process dies.
    const uidls = await first.client.multiline("UIDL");
    expect(uidls).toHaveLength(MESSAGES.length + 1);
    expect((await first.client.multiline("RETR 1"))[0]).toMatch(/^\+OK/);
    expect(await first.client.command("DELE 1")).toMatch(/^\+OK/);
    expect(await first.client.command("DELE 2")).toMatch(/^\+OK/);
    const killedAt = performance.now();
    holder.signal("SIGKILL");
    expect(await first.client.line()).toBeNull();

    // New connections go to the survivor; the dead process's lock is taken over at once.
    let attempts = 0;
    let next: Awaited<ReturnType<typeof login>>;
    for (;;) {
      attempts++;
      next = await login(proxy.port);
      if (next.status?.startsWith("+OK")) break;
      next.client.destroy();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const recoveredMs = performance.now() - killedAt;
    console.info(
      `haproxy failover: first login through the survivor ${recoveredMs.toFixed(0)} ms after SIGKILL, ${attempts} attempt(s)`,
    );
    expect(loginsOf(survivor)).toHaveLength(1);

    // Nothing lost (the deletions never reached UPDATE), nothing duplicated (same UIDLs).
    expect(await next.client.multiline("UIDL")).toEqual(uidls);
    expect(filesIn(maildir)).toHaveLength(before.length);
    expect(await next.client.command("QUIT")).toMatch(/^\+OK/);
  });
});
