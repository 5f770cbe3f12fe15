import { chmodSync, chownSync, readFileSync } from "node:fs";
import path from "node:path";
import { connect } from "@apop/node";
import { needs } from "@apop/vitest-preset/needs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupSystemUser } from "../src/users/lookup-system-user.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { runCli } from "./helpers/run-cli.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const isRoot = process.getuid?.() === 0;
const nobody = lookupSystemUser("nobody");

let fixture: Fixture;

beforeAll(() => {
  fixture = createFixture();
  fixture.writeUsers(["alice:{PLAIN}wonderland", "erin:{PLAIN}erin-secret"]);
  fixture.addMaildir("alice");
  fixture.addMaildir("erin");
});

afterAll(() => fixture?.cleanup());

const args = (): string[] => [
  "--users",
  fixture.usersFile,
  "--maildir-root",
  fixture.maildirRoot,
  "--listen",
  "127.0.0.1:0",
  "--auth-failure-delay",
  "0",
];

/** The real, effective, saved and filesystem ids (`Uid`, `Gid`), or the `Groups`, from /proc. */
function idsOf(pid: number, field: "Uid" | "Gid" | "Groups"): number[] {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const line = new RegExp(`^${field}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
  return line === "" ? [] : line.split(/\s+/).map(Number);
}
const uidsOf = (pid: number): number[] => idsOf(pid, "Uid");

needs({
  met: isRoot && nobody !== null && process.platform === "linux",
  what: "root on Linux with a `nobody` user (CI runs as root)",
}).describe("--user as root", () => {
  it("binds, drops to the user for good, and serves only what that user may read", async () => {
    const { uid, gid } = nobody as NonNullable<typeof nobody>;
    // The service account owns alice's Maildir; erin's stays root's and closed.
    chmodSync(fixture.dir, 0o755);
    chmodSync(fixture.maildirRoot, 0o755);
    const alice = path.join(fixture.maildirRoot, "alice");
    for (const dir of ["", "cur", "new", "tmp"]) chownSync(path.join(alice, dir), uid, gid);
    chmodSync(path.join(fixture.maildirRoot, "erin"), 0o700);

    const server = await ServerProcess.start([...args(), "--user", "nobody"]);
    try {
      expect(server.logs.find((r) => r.event === "privileges-dropped")).toMatchObject({ uid, gid });
      expect(uidsOf(server.pid)).toEqual([uid, uid, uid, uid]);
      // Root's group and supplementary groups are gone too.
      expect(idsOf(server.pid, "Gid")).toEqual([gid, gid, gid, gid]);
      expect(idsOf(server.pid, "Groups")).not.toContain(0);
      expect(server.logs.some((r) => r.event === "running-as-root")).toBe(false);

      const client = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
      await client.apop("alice", "wonderland");
      await client.quit();
      const denied = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
      await expect(denied.apop("erin", "erin-secret")).rejects.toMatchObject({ code: "sys-perm" });
      await denied.quit();

      // The users file is root's and 0600: after the drop a reload cannot read it, and the
      // users read at start stay.
      server.signal("SIGHUP");
      const failed = await server.waitForLog((r) => r.event === "users-reload-failed");
      expect(String(failed.problems)).toMatch(/EACCES/);
      const again = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
      await again.apop("alice", "wonderland");
      await again.quit();
    } finally {
      await server.stop();
    }
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it.each([
    ["setuid is refused (the group switch succeeds)", "-setuid"],
    ["setgid and setuid are refused", "-setuid,-setgid"],
  ])("a drop that fails never goes on as root: %s, exit 4, never started", async (_, caps) => {
    // Root without CAP_SETUID (and CAP_SETGID): what a container or a hardened unit can be.
    const result = await runCli([...args(), "--user", "nobody"], {
      wrap: ["setpriv", `--bounding-set=${caps}`, `--inh-caps=${caps}`, "--"],
    });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^apop-server: --user nobody: cannot switch to uid \d+: EPERM/);
    expect(result.stdout).not.toMatch(/"event":"started"/);
  });

  it("refuses --user root with exit 4", async () => {
    const result = await runCli([...args(), "--user", "root"]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/--user root: this is root; name an unprivileged account/);
  });

  it("warns in the log when running as root without --user", async () => {
    const server = await ServerProcess.start(args());
    await server.stop();
    expect(server.logs.find((r) => r.event === "running-as-root")?.level).toBe("warn");
  });
});

describe("--user", () => {
  it("refuses an unknown system user as a configuration problem (exit 2)", async () => {
    const result = await runCli([...args(), "--user", "no-such-user-apop"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('user: no system user "no-such-user-apop"\n');
  });

  it("exits 4 when not root and not already that user", async () => {
    // Tests run as root in CI: start the program as nobody and ask it to become daemon.
    const daemon = lookupSystemUser("daemon");
    if (nobody === null || daemon === null)
      throw new Error("the system users nobody and daemon must exist");
    let result: Awaited<ReturnType<typeof runCli>>;
    if (isRoot) {
      // nobody must be able to read the configuration, or it stops there (exit 2).
      chmodSync(fixture.dir, 0o755);
      chmodSync(fixture.usersFile, 0o644);
      try {
        result = await runCli([...args(), "--user", "daemon"], {
          as: { uid: nobody.uid, gid: nobody.gid },
        });
      } finally {
        chmodSync(fixture.usersFile, 0o600);
        chmodSync(fixture.dir, 0o700);
      }
    } else {
      result = await runCli([...args(), "--user", "nobody"]);
    }
    expect(result.stderr).toMatch(/only root can switch users/);
    expect(result.code).toBe(4);
  });
});
