/**
 * The files the store keeps beside the mail (`apop.lock`, Dovecot's session lock,
 * `dovecot-uidlist`, the size cache, the last login) as a hostile mailbox owner may replace
 * them: a FIFO, a symbolic link, a sparse file of 100 MiB. None may block the server's one
 * thread, be followed, or be read into memory (`read-maildir-file.ts`).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  lstatSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { StoreError } from "@apop/core";
import { afterEach, describe, expect, it } from "vitest";
import { makeMaildir, makeRoot, rejection } from "../test/fixture.ts";
import { createMaildirStore } from "./create-maildir-store.ts";
import { acquireDovecotSessionLock, DOVECOT_SESSION_LOCK } from "./dovecot-session-lock.ts";
import { dovecotUidlistSource } from "./dovecot-uidlist-source.ts";
import { LAST_LOGIN_FILE } from "./last-login.ts";
import type { RefreshedLock } from "./lock-refresher.ts";
import { LOCK_FILE } from "./maildrop-lock.ts";
import { currentProcessIdentity } from "./process-identity.ts";
import { describeMaildirFile, readMaildirFile } from "./read-maildir-file.ts";
import { SIZE_CACHE_FILE } from "./size-cache.ts";

const HUGE = 100 * 1024 * 1024;
const UIDLIST = "3 V1700000000 N2\n1 :1700000000.m.host\n";

const unblockers: ChildProcess[] = [];
afterEach(() => {
  for (const child of unblockers.splice(0)) child.kill("SIGKILL");
});

/**
 * A FIFO at `file`, and a child that opens it for writing after 30 s: should the store wait
 * on the FIFO, that releases it, so a regression fails this test instead of hanging the run.
 * `stillWaiting()` is true while the child has not opened it yet.
 */
function plantFifo(file: string): { stillWaiting(): boolean } {
  execFileSync("mkfifo", [file]);
  const child = spawn("sh", ["-c", 'sleep 30; : > "$1"', "sh", file], { stdio: "ignore" });
  unblockers.push(child);
  return { stillWaiting: () => child.exitCode === null && child.signalCode === null };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await rejection(promise);
  return StoreError.isInstance(error) ? error.code : `not a StoreError: ${String(error)}`;
}

function maildirWithOneMessage(): { root: string; maildir: string } {
  const root = makeRoot();
  const maildir = makeMaildir(root, "u", [{ name: "1700000000.m.host", content: "mail\n" }]);
  return { root, maildir };
}

/** Dovecot's session lock, held in a fresh Maildir `u`. */
async function heldDovecotSessionLock() {
  const root = makeRoot();
  const file = path.join(makeMaildir(root, "u"), DOVECOT_SESSION_LOCK);
  const lock = await acquireDovecotSessionLock({ file, staleAfterMs: 60_000, refreshMs: 1000 });
  return { root, file, lock };
}

describe("the store's own files replaced by a FIFO", () => {
  it("apop.lock or Dovecot's session lock: in-use at once, and no lock left behind", async () => {
    for (const name of [LOCK_FILE, DOVECOT_SESSION_LOCK]) {
      const { root, maildir } = maildirWithOneMessage();
      const fifo = plantFifo(path.join(maildir, name));
      expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("in-use");
      expect(fifo.stillWaiting()).toBe(true);
      const other = name === LOCK_FILE ? DOVECOT_SESSION_LOCK : LOCK_FILE;
      expect(describeMaildirFile(path.join(maildir, other))).toBeUndefined();
    }
  });

  it("an apop.lock FIFO that nobody refreshed turns stale, and is moved away, not read", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const fifo = plantFifo(path.join(maildir, LOCK_FILE));
    const old = (Date.now() - 10 * 60_000) / 1000;
    utimesSync(path.join(maildir, LOCK_FILE), old, old);
    const drop = await createMaildirStore({ root }).open("u");
    expect(lstatSync(path.join(maildir, LOCK_FILE)).isFile()).toBe(true);
    await drop.release();
    expect(describeMaildirFile(path.join(maildir, LOCK_FILE))).toBeUndefined();
    expect(fifo.stillWaiting()).toBe(true);
  });

  it("dovecot-uidlist: the login fails with sys-perm rather than guess the UIDLs", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const fifo = plantFifo(path.join(maildir, "dovecot-uidlist"));
    const store = createMaildirStore({ root, uidSource: dovecotUidlistSource() });
    expect(await codeOf(store.open("u"))).toBe("sys-perm");
    expect(fifo.stillWaiting()).toBe(true);
  });

  it("the size cache: ignored, the size counted, and a real cache renamed over it", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.unsized.host", content: "a\n" }]);
    const fifo = plantFifo(path.join(maildir, SIZE_CACHE_FILE));
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages.map((m) => m.size)).toEqual([3]);
    await drop.release();
    expect(fifo.stillWaiting()).toBe(true);
    expect(lstatSync(path.join(maildir, SIZE_CACHE_FILE)).isFile()).toBe(true);
  });

  it("the last login: reading it fails with sys-perm", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const fifo = plantFifo(path.join(maildir, LAST_LOGIN_FILE));
    const drop = await createMaildirStore({ root }).open("u");
    expect(await codeOf(drop.lastLogin?.() ?? Promise.resolve())).toBe("sys-perm");
    await drop.release();
    expect(fifo.stillWaiting()).toBe(true);
  });
});

describe("the store's own files replaced by a symbolic link", () => {
  it("apop.lock pointing at a lock of a dead process is not followed: in-use while fresh", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const target = path.join(root, "dead-lock");
    // Read through the link, this lock of a dead process here would be taken over at once.
    writeFileSync(
      target,
      JSON.stringify({
        host: "h",
        machine: currentProcessIdentity().machine,
        pid: Number(dead.stdout.toString()),
        processStart: "linux:1",
        created: "x",
        token: "t",
      }),
    );
    symlinkSync(target, path.join(maildir, LOCK_FILE));
    expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("in-use");
    expect(lstatSync(path.join(maildir, LOCK_FILE)).isSymbolicLink()).toBe(true);
  });

  it("dovecot-uidlist pointing at another user's: sys-perm, and nothing appended there", async () => {
    const root = makeRoot();
    const victim = makeMaildir(root, "victim");
    writeFileSync(path.join(victim, "dovecot-uidlist"), UIDLIST);
    const maildir = makeMaildir(root, "u", [{ name: "1700000001.new.host", content: "x\n" }]);
    symlinkSync(path.join(victim, "dovecot-uidlist"), path.join(maildir, "dovecot-uidlist"));
    const store = createMaildirStore({ root, uidSource: dovecotUidlistSource() });
    expect(await codeOf(store.open("u"))).toBe("sys-perm");
    expect(readFileSync(path.join(victim, "dovecot-uidlist"), "utf8")).toBe(UIDLIST);
  });

  it("a held Dovecot session lock swapped for a link: the refresh never touches its target", async () => {
    const { root, file, lock } = await heldDovecotSessionLock();
    try {
      const target = path.join(root, "precious");
      writeFileSync(target, "x");
      utimesSync(target, 1_000_000, 1_000_000);
      rmSync(file);
      symlinkSync(target, file);
      await (lock as unknown as RefreshedLock).refresh(new Date());
      expect(statSync(target).mtimeMs).toBe(1_000_000_000);
    } finally {
      await lock.release();
    }
  });
});

describe("a held lock replaced by another file (as a hard link would)", () => {
  it("the Dovecot session lock's refresh leaves a file that is not ours alone", async () => {
    const { file, lock } = await heldDovecotSessionLock();
    try {
      rmSync(file);
      writeFileSync(file, "someone else's file\n");
      utimesSync(file, 1_000_000, 1_000_000);
      await (lock as unknown as RefreshedLock).refresh(new Date());
      expect(statSync(file).mtimeMs).toBe(1_000_000_000);
    } finally {
      await lock.release();
    }
    expect(readFileSync(file, "utf8")).toBe("someone else's file\n");
  });
});

describe("the store's own files replaced by a sparse file of 100 MiB", () => {
  it("none is read: locks are in-use while fresh, dovecot-uidlist fails the login", async () => {
    for (const name of [LOCK_FILE, DOVECOT_SESSION_LOCK]) {
      const { root, maildir } = maildirWithOneMessage();
      writeFileSync(path.join(maildir, name), "");
      truncateSync(path.join(maildir, name), HUGE);
      expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("in-use");
    }
    const { root, maildir } = maildirWithOneMessage();
    writeFileSync(path.join(maildir, "dovecot-uidlist"), UIDLIST);
    truncateSync(path.join(maildir, "dovecot-uidlist"), HUGE);
    const store = createMaildirStore({ root, uidSource: dovecotUidlistSource() });
    expect(await codeOf(store.open("u"))).toBe("sys-perm");
  });
});

describe("the locks deleted by the owner, and messages too large to count", () => {
  it("one open maildrop per user in a store: in-use at once, even with the lock files gone", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const store = createMaildirStore({ root });
    const first = await store.open("u");
    rmSync(path.join(maildir, LOCK_FILE));
    rmSync(path.join(maildir, DOVECOT_SESSION_LOCK));
    expect(await codeOf(store.open("u"))).toBe("in-use");
    await first.release();
    const again = await store.open("u");
    await again.release();
    // Released twice: the second release must not free a session opened in between.
    const third = await store.open("u");
    await first.release();
    rmSync(path.join(maildir, LOCK_FILE));
    rmSync(path.join(maildir, DOVECOT_SESSION_LOCK));
    expect(await codeOf(store.open("u"))).toBe("in-use");
    await third.release();
  });

  it("two stores on one root share it: one open maildrop per user in the process", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const first = await createMaildirStore({ root }).open("u");
    rmSync(path.join(maildir, LOCK_FILE));
    rmSync(path.join(maildir, DOVECOT_SESSION_LOCK));
    expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("in-use");
    await first.release();
  });

  it("a message file over 1 GiB without ,W= fails the login with sys-perm, unread", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.sparse.host", content: "x" }]);
    truncateSync(path.join(maildir, "new", "1700000000.sparse.host"), 2 ** 30 + 1);
    expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("sys-perm");
    // The lock is not left behind: the next try fails the same way, not with in-use.
    expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("sys-perm");
  });
});

describe("bookkeeping files far larger than the snapshot explains", () => {
  // 4 MiB plus 1 KiB a message (`snapshot-file-limit.ts`): 64 MiB of `1 A :a` lines beside
  // one message made every login parse 9 million records and abort the server out of memory.
  const uidlistLimit = 4 * 1024 * 1024 + 1024;

  it("dovecot-uidlist: read up to 4 MiB + 1 KiB for one message, sys-perm one octet over", async () => {
    const { root, maildir } = maildirWithOneMessage();
    const file = path.join(maildir, "dovecot-uidlist");
    const store = createMaildirStore({ root, uidSource: dovecotUidlistSource() });
    // 80,000 records of mail long gone, then a junk line up to the size wanted.
    const stale = `${UIDLIST}${"2 :gone.host\n".repeat(80_000)}`;
    const sized = (octets: number) => `${stale}${"x".repeat(octets - stale.length - 1)}\n`;
    writeFileSync(file, sized(uidlistLimit));
    expect(statSync(file).size).toBe(uidlistLimit);
    const drop = await store.open("u");
    expect(drop.messages.map((m) => m.uid)).toEqual(["000000016553f100"]);
    await drop.release();
    writeFileSync(file, sized(uidlistLimit + 1));
    expect(await codeOf(store.open("u"))).toBe("sys-perm");
  });
});

describe("readMaildirFile", () => {
  it("reads a regular file; describes a link, a FIFO and a file over the limit without reading", () => {
    const root = makeRoot();
    const file = path.join(root, "f");
    writeFileSync(file, "12345");
    expect(readMaildirFile(file, { maxOctets: 5 })?.content?.toString()).toBe("12345");
    expect(readMaildirFile(file, { maxOctets: 4 })?.content).toBeUndefined();
    symlinkSync(file, path.join(root, "link"));
    const link = readMaildirFile(path.join(root, "link"), { maxOctets: 100 });
    expect(link?.content).toBeUndefined();
    expect(link?.ino).toBe(lstatSync(path.join(root, "link")).ino);
    execFileSync("mkfifo", [path.join(root, "fifo")]);
    expect(readMaildirFile(path.join(root, "fifo"), { maxOctets: 100 })?.content).toBeUndefined();
    expect(readMaildirFile(path.join(root, "none"), { maxOctets: 100 })).toBeUndefined();
  });
});
