import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { LocalProtocolError, type Maildrop, StoreError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot, readAll, rejection, writeMessage } from "../test/fixture.ts";
import { createMaildirStore } from "./create-maildir-store.ts";
import { dovecotUidlistSource } from "./dovecot-uidlist-source.ts";
import { SIZE_CACHE_FILE } from "./size-cache.ts";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await rejection(promise);
  return StoreError.isInstance(error) ? error.code : `not a StoreError: ${String(error)}`;
}

async function snapshot(root: string, user: string): Promise<Maildrop["messages"]> {
  const drop = await createMaildirStore({ root }).open(user);
  await drop.release();
  return drop.messages;
}

describe("createMaildirStore: the snapshot", () => {
  it("orders by delivery time (name, else mtime), then unique name; ignores tmp/ and dot-files", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [
      { dir: "cur", name: "1700000300.b.host:2,S" },
      { dir: "new", name: "1700000100.z.host" },
      { dir: "new", name: "1700000200.a.host" },
      { dir: "cur", name: "1700000100.a.host:2,RS" },
      { dir: "new", name: "no-time-in-name", mtime: 1700000250 },
      { dir: "new", name: ".hidden-file" },
      { dir: "tmp", name: "1600000000.in-progress.host" },
    ]);
    mkdirSync(path.join(root, "u", "cur", "1600000000.a-directory"));
    expect((await snapshot(root, "u")).map((m) => m.uid)).toEqual([
      "1700000100.a.host",
      "1700000100.z.host",
      "1700000200.a.host",
      "no-time-in-name",
      "1700000300.b.host",
    ]);
  });

  it("keeps a message's UIDL when it moves from new/ to cur/ and when its flags change", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.M1P2.host,S=30" },
      { name: "1700000001.M3P4.host" },
    ]);
    const before = await snapshot(root, "u");
    renameSync(
      path.join(maildir, "new", "1700000000.M1P2.host,S=30"),
      path.join(maildir, "cur", "1700000000.M1P2.host,S=30:2,S"),
    );
    expect(await snapshot(root, "u")).toEqual(before);
    renameSync(
      path.join(maildir, "cur", "1700000000.M1P2.host,S=30:2,S"),
      path.join(maildir, "cur", "1700000000.M1P2.host,S=30:2,FRS"),
    );
    renameSync(
      path.join(maildir, "new", "1700000001.M3P4.host"),
      path.join(maildir, "cur", "1700000001.M3P4.host:2,T"),
    );
    expect(await snapshot(root, "u")).toEqual(before);
    expect(before.map((m) => m.uid)).toEqual(["1700000000.M1P2.host", "1700000001.M3P4.host"]);
  });

  it("hashes a unique name that is too long or has characters outside 0x21-0x7E", async () => {
    const root = makeRoot();
    const long = `1700000000.${"x".repeat(80)}`;
    makeMaildir(root, "u", [
      { name: long },
      { name: "1700000001.with space" },
      { name: "1700000002.caf\u00e9" },
    ]);
    const uids = (await snapshot(root, "u")).map((m) => m.uid);
    for (const uid of uids) expect(uid).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(uids).size).toBe(3);
    expect((await snapshot(root, "u")).map((m) => m.uid)).toEqual(uids);
  });

  it("never answers duplicate UIDs: a second file with the same unique name becomes <uid>-2", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [
      { dir: "new", name: "1700000000.dup.host" },
      { dir: "cur", name: "1700000000.dup.host:2,S" },
      { dir: "cur", name: "1700000000.dup.host,S=5:2,T" },
    ]);
    expect((await snapshot(root, "u")).map((m) => m.uid)).toEqual([
      "1700000000.dup.host",
      "1700000000.dup.host-2",
      "1700000000.dup.host-3",
    ]);
  });

  it("keeps Dovecot's UIDLs with dovecotUidlistSource, and gives new mail the next Dovecot UID", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { dir: "cur", name: "1276528487.M364837P9451.kurkku,S=1355,W=1394:2,S" },
      { dir: "new", name: "1700000000.after.migration" },
    ]);
    writeFileSync(
      path.join(maildir, "dovecot-uidlist"),
      "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1\n25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,\n",
    );
    const drop = await createMaildirStore({ root, uidSource: dovecotUidlistSource() }).open("u");
    expect(drop.messages).toEqual([
      { uid: "000061ae4c0907b0", size: 1394 },
      // N25022 = 0x61be: appended to dovecot-uidlist, so Dovecot shows the same UIDL later.
      { uid: "000061be4c0907b0", size: expect.any(Number) },
    ]);
    await drop.release();
    expect(readFileSync(path.join(maildir, "dovecot-uidlist"), "utf8")).toMatch(
      /\n25022 :1700000000\.after\.migration\n$/,
    );
  });
});

describe("createMaildirStore: Dovecot's session lock", () => {
  it("holds dovecot-pop3-session.lock while open and removes it at QUIT and at release", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const lockFile = path.join(maildir, "dovecot-pop3-session.lock");
    const store = createMaildirStore({ root });
    const committed = await store.open("u");
    expect(readFileSync(lockFile, "utf8")).toMatch(/^\d+:/);
    expect(await codeOf(store.open("u"))).toBe("in-use");
    await committed.commit([]);
    expect(existsSync(lockFile)).toBe(false);
    const released = await store.open("u");
    expect(existsSync(lockFile)).toBe(true);
    await released.release();
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe("createMaildirStore: what an open maildrop holds", () => {
  it("keeps no file descriptor between commands: an idle session costs its socket alone", async () => {
    const root = makeRoot();
    for (let i = 0; i < 40; i++) makeMaildir(root, `u${i}`, [{ name: `1700000000.m${i}.host` }]);
    const store = createMaildirStore({ root });
    const before = readdirSync("/proc/self/fd").length;
    const drops = await Promise.all(Array.from({ length: 40 }, (_, i) => store.open(`u${i}`)));
    expect(readdirSync("/proc/self/fd").length - before).toBeLessThan(4);
    // Still reads and deletes as before.
    expect((await readAll(drops[0]!.read(0))).text.length).toBeGreaterThan(0);
    await drops[0]!.commit([0]);
    expect(readdirSync(path.join(root, "u0", "new"))).toEqual([]);
    await Promise.all(drops.slice(1).map((drop) => drop.release()));
  });
});

describe("createMaildirStore: sizes", () => {
  it.each([
    ["CRLF", "a\r\nb\r\n", 6],
    ["bare LF", "a\nb\n", 6],
    ["mixed", "a\r\nb\nc", 7],
    ["no final newline", "Subject: x\n\nbody", 18],
    ["empty", "", 0],
    ["a lone CR", "a\rb\n", 5],
  ])("counts the wire size of %s", async (_label, content, size) => {
    const root = makeRoot();
    makeMaildir(root, "u", [{ name: "1700000000.m.host", content }]);
    expect(await snapshot(root, "u")).toEqual([{ uid: "1700000000.m.host", size }]);
  });

  it("honours ,W= and ignores ,S= (the size on disk)", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [
      { name: "1700000000.w.host,S=4,W=999", content: "a\nb\n" },
      { name: "1700000001.s.host,S=4", content: "a\nb\n" },
    ]);
    expect((await snapshot(root, "u")).map((m) => m.size)).toEqual([999, 6]);
  });

  it("counts a message once and then answers from the size cache, until the file changes", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u");
    const mtime = 1_700_000_000;
    const file = writeMessage(maildir, { name: "1700000000.c.host", content: "a\nb\n", mtime });
    expect((await snapshot(root, "u"))[0]?.size).toBe(6);
    expect(readFileSync(path.join(maildir, SIZE_CACHE_FILE), "utf8")).toBe(
      `apop-sizes 1\n6\t4\t${mtime * 1000}\t1700000000.c.host\n`,
    );
    // Same length and mtime, other content: the second open does not read the file, so it
    // still reports the size counted first.
    writeFileSync(file, "a\r\nb");
    utimesSync(file, mtime, mtime);
    expect((await snapshot(root, "u"))[0]?.size).toBe(6);
    // A flag change keeps the unique name, size and mtime: still cached.
    const flagged = path.join(maildir, "cur", "1700000000.c.host:2,S");
    renameSync(file, flagged);
    expect((await snapshot(root, "u"))[0]?.size).toBe(6);
    // Another mtime: counted again.
    utimesSync(flagged, mtime + 1, mtime + 1);
    expect((await snapshot(root, "u"))[0]?.size).toBe(4);
  });

  it("drops cache entries of deleted messages and survives a broken cache file", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.a.host", content: "a\n" },
      { name: "1700000001.b.host", content: "b\n" },
    ]);
    const store = createMaildirStore({ root });
    const drop = await store.open("u");
    await drop.commit([0]);
    await (await store.open("u")).release();
    const cache = readFileSync(path.join(maildir, SIZE_CACHE_FILE), "utf8");
    expect(cache).not.toContain("1700000000.a.host");
    expect(cache).toContain("1700000001.b.host");
    writeFileSync(path.join(maildir, SIZE_CACHE_FILE), "apop-sizes 1\nnonsense\n12x\tq\n");
    expect((await snapshot(root, "u")).map((m) => m.size)).toEqual([3]);
    expect(readdirSync(path.join(maildir, "tmp"))).toEqual([]);
  });

  it("neither reads nor rewrites the size cache while every name carries ,W=", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.w.host,S=4,W=6", content: "a\nb\n" },
    ]);
    // An entry of a message gone since: pruned only by the next login that counts a size.
    const stale = "apop-sizes 1\n9\t9\t1\tgone.host\n";
    writeFileSync(path.join(maildir, SIZE_CACHE_FILE), stale);
    expect((await snapshot(root, "u")).map((m) => m.size)).toEqual([6]);
    expect(readFileSync(path.join(maildir, SIZE_CACHE_FILE), "utf8")).toBe(stale);
    writeMessage(maildir, { name: "1700000001.c.host", content: "c\n" });
    expect((await snapshot(root, "u")).map((m) => m.size)).toEqual([6, 3]);
    expect(readFileSync(path.join(maildir, SIZE_CACHE_FILE), "utf8")).not.toContain("gone.host");
  });

  it("writes no cache when told not to", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const drop = await createMaildirStore({ root, sizeCache: false }).open("u");
    await drop.release();
    expect(existsSync(path.join(maildir, SIZE_CACHE_FILE))).toBe(false);
  });
});

describe("createMaildirStore: users and mailboxes", () => {
  it("refuses user names that could escape the root before touching the disk", async () => {
    const root = makeRoot();
    const store = createMaildirStore({
      root: path.join(root, "does-not-exist"),
      missingMailbox: "create",
    });
    for (const user of ["..", "../u", "a/b", "a\\b", "a\u0000b", ".u", "", "x".repeat(300)]) {
      const error = await rejection(store.open(user));
      expect(StoreError.isInstance(error) && error.code).toBe("sys-perm");
      expect((error as Error).message).toMatch(/^invalid user name/);
    }
    expect(existsSync(path.join(root, "does-not-exist"))).toBe(false);
  });

  it("answers sys-perm 'no mailbox' for a user without a Maildir, creating nothing", async () => {
    const root = makeRoot();
    const error = await rejection(createMaildirStore({ root }).open("ghost"));
    expect(StoreError.isInstance(error) && [error.code, error.message]).toEqual([
      "sys-perm",
      "no mailbox",
    ]);
    expect(readdirSync(root)).toEqual([]);
  });

  it("serves an empty maildrop for a missing Maildir when asked, still creating nothing", async () => {
    const root = makeRoot();
    const drop = await createMaildirStore({ root, missingMailbox: "empty" }).open("ghost");
    expect(drop.messages).toEqual([]);
    expect(() => drop.read(0)).toThrow(LocalProtocolError);
    await drop.commit([]);
    expect(readdirSync(root)).toEqual([]);
  });

  it("creates cur/, new/ and tmp/ for a missing Maildir when asked, but not a missing root", async () => {
    const root = makeRoot();
    const drop = await createMaildirStore({ root, missingMailbox: "create" }).open("newbie");
    expect(drop.messages).toEqual([]);
    await drop.release();
    expect(readdirSync(path.join(root, "newbie")).sort()).toEqual(["cur", "new", "tmp"]);
    const gone = path.join(root, "gone");
    expect(
      await codeOf(createMaildirStore({ root: gone, missingMailbox: "create" }).open("x")),
    ).toBe("sys-perm");
    expect(existsSync(gone)).toBe(false);
  });

  it("resolves the root once, and again after a login that did not find its Maildir under it", async () => {
    const first = makeRoot();
    const second = makeRoot();
    makeMaildir(first, "a", [{ name: "1700000000.in-first.host" }]);
    makeMaildir(second, "a", [{ name: "1700000000.in-second.host" }]);
    makeMaildir(second, "b", [{ name: "1700000000.b.host" }]);
    const root = path.join(makeRoot(), "mail");
    symlinkSync(first, root);
    const store = createMaildirStore({ root });
    const uids = async (user: string) => {
      const drop = await store.open(user);
      await drop.release();
      return drop.messages.map((m) => m.uid);
    };
    expect(await uids("a")).toEqual(["1700000000.in-first.host"]);
    // The root is re-pointed: a Maildir found under the root resolved before is still served
    // from there (documented in docs/security.md) ...
    rmSync(root);
    symlinkSync(second, root);
    expect(await uids("a")).toEqual(["1700000000.in-first.host"]);
    // ... until a login does not find its Maildir there: then the root is resolved again.
    expect(await uids("b")).toEqual(["1700000000.b.host"]);
    expect(await uids("a")).toEqual(["1700000000.in-second.host"]);
  });

  it("refuses a directory that is not a Maildir, and creates a missing tmp/", async () => {
    const root = makeRoot();
    mkdirSync(path.join(root, "half", "new"), { recursive: true });
    expect(await codeOf(createMaildirStore({ root }).open("half"))).toBe("sys-perm");
    mkdirSync(path.join(root, "half", "cur"));
    await (await createMaildirStore({ root }).open("half")).release();
    expect(existsSync(path.join(root, "half", "tmp"))).toBe(true);
    writeFileSync(path.join(root, "file"), "");
    expect(await codeOf(createMaildirStore({ root }).open("file"))).toBe("sys-perm");
  });

  it("rejects bad lock timings when the store is created", () => {
    expect(() =>
      createMaildirStore({ root: "/x", lock: { staleAfterMs: 10, refreshMs: 10 } }),
    ).toThrow(RangeError);
  });
});

describe("createMaildirStore: the session", () => {
  it("refuses a second open of the same user in one process with in-use", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    makeMaildir(root, "v");
    const store = createMaildirStore({ root });
    const first = await store.open("u");
    expect(await codeOf(store.open("u"))).toBe("in-use");
    expect(await codeOf(createMaildirStore({ root }).open("u"))).toBe("in-use");
    await (await store.open("v")).release();
    await first.release();
    await (await store.open("u")).release();
  });

  it("streams a message in chunks, never whole", async () => {
    const root = makeRoot();
    const body = "x".repeat(600_000);
    makeMaildir(root, "u", [{ name: "1700000000.big.host", content: body }]);
    const drop = await createMaildirStore({ root }).open("u");
    const { text, sizes } = await readAll(drop.read(0));
    expect(text).toBe(body);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(256 * 1024);
    await drop.release();
  });

  it("reads messages around one chunk whole: one read up to 256 KiB, two just above", async () => {
    const root = makeRoot();
    const lengths = [100_000, 256 * 1024, 256 * 1024 + 1];
    makeMaildir(
      root,
      "u",
      lengths.map((length, i) => ({
        name: `170000000${i}.c${i}.host`,
        content: String(i).repeat(length),
      })),
    );
    const drop = await createMaildirStore({ root }).open("u");
    for (const [i, length] of lengths.entries()) {
      const { text, sizes } = await readAll(drop.read(i));
      expect(text).toBe(String(i).repeat(length));
      expect(sizes).toHaveLength(length > 256 * 1024 ? 2 : 1);
    }
    await drop.release();
  });

  it("stops reading when the reader stops early", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [{ name: "1700000000.big.host", content: "y".repeat(300_000) }]);
    const drop = await createMaildirStore({ root }).open("u");
    for await (const chunk of drop.read(0)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await drop.release();
  });

  it("reads a message that another client moved to cur/ meanwhile; sys-temp when it is gone", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.a.host", content: "moved\n" },
      { name: "1700000001.b.host", content: "gone\n" },
    ]);
    const drop = await createMaildirStore({ root }).open("u");
    renameSync(
      path.join(maildir, "new", "1700000000.a.host"),
      path.join(maildir, "cur", "1700000000.a.host:2,S"),
    );
    rmSync(path.join(maildir, "new", "1700000001.b.host"));
    expect((await readAll(drop.read(0))).text).toBe("moved\n");
    expect(await codeOf(readAll(drop.read(1)))).toBe("sys-temp");
    expect(() => drop.read(2)).toThrow(LocalProtocolError);
    await drop.release();
  });

  it("release deletes nothing and frees the lock; the maildrop is closed after", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.a.host" },
      { name: "1700000001.b.host" },
    ]);
    const store = createMaildirStore({ root });
    const drop = await store.open("u");
    await drop.release();
    await drop.release();
    expect(readdirSync(path.join(maildir, "new"))).toHaveLength(2);
    expect(existsSync(path.join(maildir, "apop.lock"))).toBe(false);
    expect(() => drop.read(0)).toThrow(/after the maildrop was committed or released/);
    await expect(drop.commit([0])).rejects.toThrow(LocalProtocolError);
  });

  it("commit removes exactly the named messages, wherever they moved, and releases the lock", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { dir: "new", name: "1700000000.a.host" },
      { dir: "new", name: "1700000001.b.host" },
      { dir: "cur", name: "1700000002.c.host:2,S" },
      { dir: "new", name: "1700000003.d.host" },
      { dir: "cur", name: "1700000004.e.host:2," },
    ]);
    const store = createMaildirStore({ root });
    const drop = await store.open("u");
    // Meanwhile: a moves to cur/, c is flagged, e is already gone, and mail arrives.
    renameSync(
      path.join(maildir, "new", "1700000000.a.host"),
      path.join(maildir, "cur", "1700000000.a.host:2,S"),
    );
    renameSync(
      path.join(maildir, "cur", "1700000002.c.host:2,S"),
      path.join(maildir, "cur", "1700000002.c.host:2,RS"),
    );
    rmSync(path.join(maildir, "cur", "1700000004.e.host:2,"));
    writeMessage(maildir, { name: "1700000005.f.host" });
    await drop.commit([0, 2, 4, 4]);
    expect(readdirSync(path.join(maildir, "new")).sort()).toEqual([
      "1700000001.b.host",
      "1700000003.d.host",
      "1700000005.f.host",
    ]);
    expect(readdirSync(path.join(maildir, "cur"))).toEqual([]);
    expect(existsSync(path.join(maildir, "apop.lock"))).toBe(false);
    // Idempotent: the same deletes again change nothing and are no error.
    const again = await store.open("u");
    expect(again.messages).toHaveLength(3);
    await again.release();
  });

  it("commit reports sys-perm for files it cannot remove, after trying all, and still releases", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.a.host" },
      { name: "1700000001.b.host" },
      { name: "1700000002.c.host" },
    ]);
    const store = createMaildirStore({ root });
    const drop = await store.open("u");
    // The very file listed (same inode) becomes impossible to unlink: immutable for root, which
    // ignores directory permissions; a read-only folder otherwise. (Replacing it with a
    // directory would not do: that is another inode, which commit rightly leaves alone.)
    const stuck = path.join(maildir, "new", "1700000001.b.host");
    const unstick = makeUndeletable(stuck);
    try {
      const error = await rejection(drop.commit([0, 1, 2]));
      expect(StoreError.isInstance(error) && [error.code, error.message]).toEqual([
        "sys-perm",
        "1 of 3 messages could not be deleted",
      ]);
    } finally {
      unstick();
    }
    expect(readdirSync(path.join(maildir, "new"))).toEqual(["1700000001.b.host"]);
    await (await store.open("u")).release();
  });

  it("commit deletes nothing when its lock was taken over as stale", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const store = createMaildirStore({ root });
    const drop = await store.open("u");
    const old = (Date.now() - 10 * 60_000) / 1000;
    utimesSync(path.join(maildir, "apop.lock"), old, old);
    // Another process takes the stale lock over: a store on the same Maildirs by another
    // path, so it shares the lock files but not this process's set of open maildrops.
    const elsewhere = path.join(makeRoot(), "same-maildirs");
    symlinkSync(root, elsewhere);
    const thief = await createMaildirStore({ root: elsewhere }).open("u");
    expect(await codeOf(drop.commit([0]))).toBe("sys-temp");
    expect(readdirSync(path.join(maildir, "new"))).toEqual(["1700000000.a.host"]);
    // The new holder's lock is untouched.
    expect(await codeOf(store.open("u"))).toBe("in-use");
    await thief.release();
  });

  it("refuses bad indexes in commit, deleting nothing, and releases the lock", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const store = createMaildirStore({ root });
    const drop = await store.open("u");
    await expect(drop.commit([0, 1])).rejects.toThrow(LocalProtocolError);
    expect(readdirSync(path.join(maildir, "new"))).toHaveLength(1);
    await (await store.open("u")).release();
  });
});

/**
 * Makes `file` impossible to unlink, even for root, and answers the undo. Root: the immutable
 * attribute (`chattr +i`, ext4/xfs/btrfs/tmpfs); anyone else: a read-only parent folder.
 */
function makeUndeletable(file: string): () => void {
  if (process.getuid?.() === 0) {
    execFileSync("chattr", ["+i", file]);
    return () => execFileSync("chattr", ["-i", file]);
  }
  const folder = path.dirname(file);
  chmodSync(folder, 0o555);
  return () => chmodSync(folder, 0o755);
}
