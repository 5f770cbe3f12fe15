import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { acquireDovecotSessionLock, DOVECOT_SESSION_LOCK } from "./dovecot-session-lock.ts";

const timings = { staleAfterMs: 60_000, refreshMs: 10_000 };

describe("Dovecot's POP3 session dotlock", () => {
  it("writes <pid>:<hostname> as Dovecot does, removes it on release, and refuses a live holder", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "dovecot-lock-")), DOVECOT_SESSION_LOCK);
    const lock = await acquireDovecotSessionLock({ file, ...timings });
    expect(readFileSync(file, "utf8")).toBe(`${process.pid}:${hostname()}`);
    await lock.release();
    expect(existsSync(file)).toBe(false);
    // A live Dovecot pop3 process on this host (pid 1 stands in for it) holds it: in-use.
    writeFileSync(file, `1:${hostname()}`);
    await expect(acquireDovecotSessionLock({ file, ...timings })).rejects.toMatchObject({
      code: "in-use",
    });
  });

  it("creates the lock itself (O_EXCL, no temporary file) and keeps off an empty one until stale", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dovecot-lock-"));
    const file = path.join(dir, DOVECOT_SESSION_LOCK);
    const lock = await acquireDovecotSessionLock({ file, ...timings });
    expect(readdirSync(dir)).toEqual([DOVECOT_SESSION_LOCK]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await lock.release();
    expect(readdirSync(dir)).toEqual([]);
    // Empty: a holder between its open and its write, or one that crashed there.
    writeFileSync(file, "");
    await expect(acquireDovecotSessionLock({ file, ...timings })).rejects.toMatchObject({
      code: "in-use",
    });
    // Dovecot's stale time for this lock is 5 minutes, whatever `staleAfterMs` says.
    const old = (Date.now() - 301_000) / 1000;
    utimesSync(file, old, old);
    const taken = await acquireDovecotSessionLock({ file, ...timings });
    expect(readFileSync(file, "utf8")).toBe(`${process.pid}:${hostname()}`);
    await taken.release();
  });

  it("on release removes the file only while it holds exactly its own content", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "dovecot-lock-")), DOVECOT_SESSION_LOCK);
    const me = `${process.pid}:${hostname()}`;
    // Taken over meanwhile by a holder whose content starts with ours, then by another.
    for (const other of [`${me}0`, `${me}\n`, `1:${hostname()}`, ""]) {
      const lock = await acquireDovecotSessionLock({ file, ...timings });
      writeFileSync(file, other);
      await lock.release();
      expect(readFileSync(file, "utf8")).toBe(other);
      rmSync(file);
    }
  });

  it("takes over a live local holder only when it is the apop process whose apop.lock went stale", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "dovecot-lock-")), DOVECOT_SESSION_LOCK);
    writeFileSync(file, `1:${hostname()}`);
    await expect(
      acquireDovecotSessionLock({ file, ...timings, staleHolder: `2:${hostname()}` }),
    ).rejects.toMatchObject({ code: "in-use" });
    const lock = await acquireDovecotSessionLock({
      file,
      ...timings,
      staleHolder: `1:${hostname()}`,
    });
    expect(readFileSync(file, "utf8")).toBe(`${process.pid}:${hostname()}`);
    await lock.release();
  });

  it("takes over the lock of a dead local process, or one nobody refreshed, and nothing else", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dovecot-lock-"));
    const file = path.join(dir, DOVECOT_SESSION_LOCK);
    writeFileSync(file, `999999999:${hostname()}`);
    await (await acquireDovecotSessionLock({ file, ...timings })).release();
    writeFileSync(file, "1:another-host");
    await expect(acquireDovecotSessionLock({ file, ...timings })).rejects.toMatchObject({
      code: "in-use",
    });
    // Another host's lock goes stale after Dovecot's 5 minutes, not sooner (Dovecot refreshes
    // its session lock only that often).
    const fourMinutes = new Date(Date.now() - 240_000);
    utimesSync(file, fourMinutes, fourMinutes);
    await expect(acquireDovecotSessionLock({ file, ...timings })).rejects.toMatchObject({
      code: "in-use",
    });
    const old = new Date(Date.now() - 360_000);
    utimesSync(file, old, old);
    await (await acquireDovecotSessionLock({ file, ...timings })).release();
  });

  it("never takes over a live local holder's lock, however old, nor one it cannot read", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dovecot-lock-"));
    const file = path.join(dir, DOVECOT_SESSION_LOCK);
    const hour = new Date(Date.now() - 3_600_000);
    writeFileSync(file, `1:${hostname()}`);
    utimesSync(file, hour, hour);
    await expect(acquireDovecotSessionLock({ file, ...timings })).rejects.toMatchObject({
      code: "in-use",
    });
    // Unreadable (a directory stands in for a file of another user): judged by its age only.
    rmSync(file);
    mkdirSync(file);
    await expect(acquireDovecotSessionLock({ file, ...timings })).rejects.toMatchObject({
      code: "in-use",
    });
  });
});
