import { spawnSync } from "node:child_process";
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { StoreError } from "@apop/core";
import { needs } from "@apop/vitest-preset/needs";
import { describe, expect, it, vi } from "vitest";
import { makeMaildir, makeRoot, rejection } from "../test/fixture.ts";
import {
  acquireMaildropLock,
  inspectLock,
  LOCK_FILE,
  lockTimings,
  removeIfSame,
} from "./maildrop-lock.ts";
import { currentProcessIdentity, linuxProcessStart } from "./process-identity.ts";

const me = currentProcessIdentity();

/** Writes a lock file as another holder would, with its mtime `ageMs` in the past. */
function plantLock(maildir: string, owner: Record<string, unknown>, ageMs = 0): string {
  const file = path.join(maildir, LOCK_FILE);
  writeFileSync(file, JSON.stringify({ host: "elsewhere", created: "x", token: "t", ...owner }));
  const time = (Date.now() - ageMs) / 1000;
  utimesSync(file, time, time);
  return file;
}

/** A pid that surely does not exist now: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

async function inUse(promise: Promise<unknown>): Promise<boolean> {
  const error = await rejection(promise);
  return StoreError.isInstance(error) && error.code === "in-use";
}

describe("acquireMaildropLock", () => {
  it("writes a lock file with the holder's identity and removes it on release", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const lock = await acquireMaildropLock({ maildir });
    const content = JSON.parse(readFileSync(lock.file, "utf8"));
    expect(content).toMatchObject({
      host: me.host,
      pid: process.pid,
      processStart: me.processStart,
    });
    expect(content.token).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(content)).toEqual([
      "host",
      "machine",
      "pid",
      "processStart",
      "created",
      "token",
    ]);
    expect(new Date(content.created).toISOString()).toBe(content.created);
    expect(await lock.isHeld()).toBe(true);
    await lock.release();
    await lock.release();
    expect(existsSync(lock.file)).toBe(false);
    expect(await lock.isHeld()).toBe(false);
    // No temporary files left behind.
    expect(readdirSync(path.join(maildir, "tmp"))).toEqual([]);
  });

  it("keeps no file descriptor open while held (10,000 idle sessions must cost one each)", async () => {
    const root = makeRoot();
    const maildirs = Array.from({ length: 50 }, (_, i) => makeMaildir(root, `u${i}`));
    const before = readdirSync("/proc/self/fd").length;
    const locks = await Promise.all(maildirs.map((maildir) => acquireMaildropLock({ maildir })));
    expect(readdirSync("/proc/self/fd").length - before).toBeLessThan(5);
    for (const lock of locks) expect(await lock.isHeld()).toBe(true);
    await Promise.all(locks.map((lock) => lock.release()));
  });

  it("is not fooled by a new lock that reuses the freed inode of its own", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const first = await acquireMaildropLock({ maildir });
    // Someone removes the lock and another holder creates one with the same inode number
    // (possible once no descriptor pins the old file): same inode, other content.
    const { ino } = statSync(first.file);
    rmSync(first.file);
    writeFileSync(first.file, JSON.stringify({ token: "someone else" }));
    if (statSync(first.file).ino === ino) expect(await first.isHeld()).toBe(false);
    expect(await first.isHeld()).toBe(false);
    await first.release();
    expect(existsSync(first.file)).toBe(true);
  });

  it("is not held once its file changed in place: same inode, other length or other token", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    for (const change of [
      (text: string) => `${text}\n`,
      (text: string) => text.replace(/"token":"[^"]+"/, `"token":"${"0".repeat(36)}"`),
    ]) {
      const lock = await acquireMaildropLock({ maildir });
      const { ino } = statSync(lock.file);
      const changed = change(readFileSync(lock.file, "utf8"));
      writeFileSync(lock.file, changed);
      expect(statSync(lock.file).ino).toBe(ino);
      expect(await lock.isHeld()).toBe(false);
      await lock.release();
      expect(readFileSync(lock.file, "utf8")).toBe(changed);
      rmSync(lock.file);
    }
  });

  it("refuses a second lock in the same process with in-use, and allows it after release", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const first = await acquireMaildropLock({ maildir });
    expect(await inUse(acquireMaildropLock({ maildir }))).toBe(true);
    await first.release();
    const second = await acquireMaildropLock({ maildir });
    await second.release();
  });

  it("lets exactly one of many concurrent takers win", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    plantLock(maildir, { machine: "m", pid: 1, processStart: "x" }, 10 * 60_000);
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => acquireMaildropLock({ maildir })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected")
        expect(StoreError.isInstance(r.reason) && r.reason.code).toBe("in-use");
    }
    expect(await won[0]?.value.isHeld()).toBe(true);
    await won[0]?.value.release();
  });

  it("takes over a lock whose mtime is older than staleAfterMs, whoever holds it", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    // A live process on this machine (our parent), but not refreshing: stale.
    plantLock(
      maildir,
      {
        machine: me.machine,
        pid: process.ppid,
        processStart: linuxProcessStart(process.ppid) ?? "ms:0",
      },
      200_000,
    );
    const lock = await acquireMaildropLock({ maildir });
    expect(JSON.parse(readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("keeps a fresh lock of a live process on this machine", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    plantLock(maildir, {
      machine: me.machine,
      pid: process.ppid,
      processStart: linuxProcessStart(process.ppid) ?? "ms:0",
    });
    expect(await inUse(acquireMaildropLock({ maildir }))).toBe(true);
  });

  it("takes over a fresh lock of a dead process on this machine at once", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    plantLock(maildir, { machine: me.machine, pid: deadPid(), processStart: "linux:1" });
    const lock = await acquireMaildropLock({ maildir });
    await lock.release();
  });

  it("takes over a fresh lock of an earlier life of its own pid (a restarted container is pid 1 again)", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    plantLock(maildir, { machine: me.machine, pid: process.pid, processStart: "ms:12345" });
    const lock = await acquireMaildropLock({ maildir });
    await lock.release();
  });

  needs({ met: process.platform === "linux", what: "Linux (/proc/<pid>/stat)" }).it(
    "takes over a fresh lock whose pid now belongs to a process started at another time",
    async () => {
      const maildir = makeMaildir(makeRoot(), "u");
      plantLock(maildir, { machine: me.machine, pid: process.ppid, processStart: "linux:1" });
      const lock = await acquireMaildropLock({ maildir });
      await lock.release();
    },
  );

  it("never trusts a pid from another machine or pid namespace: in-use until stale", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const file = plantLock(maildir, {
      machine: "linux:other-boot:pid:[1]",
      pid: deadPid(),
      processStart: "linux:1",
    });
    expect(await inUse(acquireMaildropLock({ maildir }))).toBe(true);
    const old = (Date.now() - 200_000) / 1000;
    utimesSync(file, old, old);
    const lock = await acquireMaildropLock({ maildir });
    await lock.release();
  });

  // Empty is also what a reader sees between a holder's exclusive create and its write, and
  // what a holder that crashed in that instant leaves behind.
  it("treats a lock it cannot parse (an empty one too) as in-use until stale", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const file = path.join(maildir, LOCK_FILE);
    writeFileSync(file, "");
    expect(await inUse(acquireMaildropLock({ maildir }))).toBe(true);
    const old = (Date.now() - 200_000) / 1000;
    utimesSync(file, old, old);
    const lock = await acquireMaildropLock({ maildir });
    await lock.release();
  });

  it("refreshes the mtime while held", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const lock = await acquireMaildropLock({ maildir, refreshMs: 20, staleAfterMs: 1_000 });
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(lock.file, old, old);
    // Polled, not slept: on a loaded machine the refresh timer may run late.
    await vi.waitFor(() => expect(Date.now() - statSync(lock.file).mtimeMs).toBeLessThan(10_000), {
      timeout: 15_000,
      interval: 20,
    });
    await lock.release();
  });

  it("knows when its lock was taken over, and then leaves the new holder's file alone", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const first = await acquireMaildropLock({ maildir, refreshMs: 60_000, staleAfterMs: 120_000 });
    const old = (Date.now() - 200_000) / 1000;
    utimesSync(first.file, old, old);
    const second = await acquireMaildropLock({ maildir });
    expect(await first.isHeld()).toBe(false);
    expect(await second.isHeld()).toBe(true);
    await first.release();
    expect(existsSync(second.file)).toBe(true);
    await second.release();
  });

  it("puts back a fresh lock that a slow taker moved by mistake", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const file = plantLock(maildir, { machine: "m", pid: 1, processStart: "x" }, 10 * 60_000);
    const judged = await inspectLock(file);
    if (judged === undefined) throw new Error("no lock");
    // Between the judgement and the rename, someone else took over and holds a fresh lock.
    rmSync(file);
    const holder = await acquireMaildropLock({ maildir });
    expect(await removeIfSame({ file, tmp: path.join(maildir, "tmp"), found: judged })).toBe(false);
    expect(await holder.isHeld()).toBe(true);
    expect(readdirSync(path.join(maildir, "tmp"))).toEqual([]);
    await holder.release();
    // A lock already gone counts as taken over.
    expect(await removeIfSame({ file, tmp: path.join(maildir, "tmp"), found: judged })).toBe(true);
  });

  it("rejects lock timings where a live holder could look stale", () => {
    expect(() => lockTimings({ staleAfterMs: 1000, refreshMs: 600 })).toThrow(RangeError);
    expect(() => lockTimings({ refreshMs: 0 })).toThrow(RangeError);
    expect(lockTimings()).toEqual({ staleAfterMs: 120_000, refreshMs: 30_000 });
    // A shorter stale time alone brings the refresh down with it.
    expect(lockTimings({ staleAfterMs: 10_000 })).toEqual({
      staleAfterMs: 10_000,
      refreshMs: 2_500,
    });
  });
});
