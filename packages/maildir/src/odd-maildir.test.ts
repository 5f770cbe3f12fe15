/**
 * Maildirs as they are found in the wild, or as a hostile mailbox owner arranges them: odd
 * file names (spaces, colons, 255 bytes, bytes that are not UTF-8), things in new/ and cur/
 * that are not messages (directories, symbolic links, FIFOs), odd contents (NUL, lone CR,
 * "\r\r\n", a last line of ".", nothing at all, 50 MiB without a newline), and races.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { StoreError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot, readAll, rejection } from "../test/fixture.ts";
import { createMaildirStore } from "./create-maildir-store.ts";
import { decodeFileName, encodeFileName } from "./file-names.ts";

const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");

/** RFC 1939 section 11: the size as sent, every line end CRLF, without the added last CRLF. */
const wireSizeOf = (content: Buffer): number =>
  latin1(content.toString("latin1").replaceAll(/\r?\n/g, "\r\n")).length;

async function readText(drop: { read(index: number): AsyncIterable<Uint8Array> }, index: number) {
  return (await readAll(drop.read(index))).text;
}

describe("odd file names", () => {
  it("serves names with spaces, extra colons and 255 bytes, with valid unique UIDs", async () => {
    const root = makeRoot();
    const long = `1700000002.${"L".repeat(255 - 11)}`;
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.with space.host", content: "Subject: space\n\n1\n" },
      { dir: "cur", name: "1700000001.colons.host:2,S:extra:colon", content: "Subject: c\n\n2\n" },
      { name: long, content: "Subject: long\n\n3\n" },
    ]);
    expect(readdirSync(path.join(maildir, "new"))).toContain(long);
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages).toHaveLength(3);
    for (const { uid } of drop.messages) expect(uid).toMatch(/^[\x21-\x7e]{1,70}$/);
    expect(new Set(drop.messages.map((m) => m.uid)).size).toBe(3);
    expect(await readText(drop, 0)).toBe("Subject: space\n\n1\n");
    expect(await readText(drop, 1)).toBe("Subject: c\n\n2\n");
    expect(await readText(drop, 2)).toBe("Subject: long\n\n3\n");
    await drop.commit([0, 1, 2]);
    expect(readdirSync(path.join(maildir, "new"))).toEqual([]);
    expect(readdirSync(path.join(maildir, "cur"))).toEqual([]);
  });

  it("serves, keeps the UID of, and deletes a file whose name is not UTF-8", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const raw = Buffer.concat([latin1("1700000001.caf"), Buffer.of(0xe9, 0xff), latin1(".host")]);
    const file = Buffer.concat([latin1(`${path.join(maildir, "new")}/`), raw]);
    writeFileSync(file, "Subject: latin-1 name\n\nbody\n");
    const store = createMaildirStore({ root });
    const first = await store.open("u");
    expect(first.messages).toHaveLength(2);
    expect(await readText(first, 1)).toBe("Subject: latin-1 name\n\nbody\n");
    await first.release();
    // The UID is a hash of the name's bytes: the same in every session.
    const second = await store.open("u");
    expect(second.messages[1]?.uid).toBe(first.messages[1]?.uid);
    expect(second.messages[1]?.uid).toMatch(/^[0-9a-f]{40}$/);
    await second.commit([1]);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(path.join(maildir, "new"))).toEqual(["1700000000.a.host"]);
  });

  it("decodes names losslessly: no two byte strings read the same", () => {
    const utf8 = Buffer.from("1.caf\u00e9.host", "utf8");
    const latin = Buffer.concat([latin1("1.caf"), Buffer.of(0xe9), latin1(".host")]);
    expect(decodeFileName(utf8)).toBe("1.caf\u00e9.host");
    expect(decodeFileName(latin)).not.toBe(decodeFileName(utf8));
    expect(encodeFileName(decodeFileName(latin))).toEqual(latin);
    expect(encodeFileName(decodeFileName(utf8))).toEqual(utf8);
    const emoji = Buffer.from("1.\u{1f389}\udc80x", "utf8");
    expect(encodeFileName(decodeFileName(emoji))).toEqual(emoji);
  });
});

describe("things in new/ and cur/ that are not messages", () => {
  it("skips directories in new/ and cur/, and serves an empty file as an empty message", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.empty.host", content: "" }]);
    mkdirSync(path.join(maildir, "new", "1700000001.a-directory.host"));
    mkdirSync(path.join(maildir, "cur", "1700000002.another.host:2,S"));
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages).toEqual([{ uid: "1700000000.empty.host", size: 0 }]);
    expect(await readText(drop, 0)).toBe("");
    await drop.release();
  });

  it("never serves a symbolic link: not the server's secrets, not another user's mail", async () => {
    // Judgement call: a link in a Maildir is no message. Whoever can write a Maildir (a
    // delivery agent run as the service account, a shell user) could otherwise point one at the
    // TLS key or at another virtual user's mail, all readable by the one service account.
    const root = makeRoot();
    const secret = path.join(root, "tls.key");
    writeFileSync(secret, "-----BEGIN PRIVATE KEY-----\n");
    const bob = makeMaildir(root, "bob", [{ name: "1700000000.bob.host", content: "bob's\n" }]);
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.real.host" }]);
    symlinkSync(secret, path.join(maildir, "cur", "1700000001.key.host:2,"));
    symlinkSync(
      path.join(bob, "new", "1700000000.bob.host"),
      path.join(maildir, "new", "1700000002.b"),
    );
    symlinkSync("/nonexistent", path.join(maildir, "new", "1700000003.dangling"));
    const drop = await createMaildirStore({ root, sizeCache: false }).open("u");
    expect(drop.messages.map((m) => m.uid)).toEqual(["1700000000.real.host"]);
    await drop.commit([0]);
    expect(existsSync(secret)).toBe(true);
  });

  it("a message file swapped for a symbolic link after the snapshot is not followed", async () => {
    const root = makeRoot();
    const secret = path.join(root, "secret");
    writeFileSync(secret, "secret\n");
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.swap.host", content: "mail\n" }]);
    const drop = await createMaildirStore({ root }).open("u");
    const file = path.join(maildir, "new", "1700000000.swap.host");
    unlinkSync(file);
    symlinkSync(secret, file);
    const error = await rejection(readAll(drop.read(0)));
    expect(StoreError.isInstance(error) && error.code).toBe("sys-temp");
    await drop.release();
  });

  it("a FIFO is skipped, and one swapped in after the snapshot does not hang the read", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.m.host", content: "mail\n" }]);
    execFileSync("mkfifo", [path.join(maildir, "new", "1700000001.fifo.host")]);
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages).toHaveLength(1);
    const file = path.join(maildir, "new", "1700000000.m.host");
    unlinkSync(file);
    execFileSync("mkfifo", [file]);
    const error = await rejection(readAll(drop.read(0)));
    expect(StoreError.isInstance(error) && error.code).toBe("sys-temp");
    await drop.release();
  });
});

describe("cur/, new/ and tmp/ that are symbolic links", () => {
  /** A directory outside the Maildir holding one file, named like a message, that must stay. */
  function victimDir(root: string, name: string): { dir: string; file: string } {
    const dir = path.join(root, "elsewhere");
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    writeFileSync(file, "not mail: a file the server can read and delete\n");
    return { dir, file };
  }

  it.each(["cur", "new", "tmp"] as const)(
    "refuses a Maildir whose %s/ is a link to another directory, touching nothing there",
    async (folder) => {
      const root = makeRoot();
      const { dir, file } = victimDir(root, "1700000000.victim.host");
      const maildir = makeMaildir(root, "u", [{ name: "1700000001.mine.host" }]);
      rmSync(path.join(maildir, folder), { recursive: true });
      symlinkSync(dir, path.join(maildir, folder));
      const error = await rejection(createMaildirStore({ root }).open("u"));
      expect(StoreError.isInstance(error) && error.code).toBe("sys-perm");
      expect(String((error as Error).message)).toContain(`${folder}/ is a symbolic link`);
      expect(readdirSync(dir)).toEqual(["1700000000.victim.host"]);
      expect(existsSync(file)).toBe(true);
      expect(existsSync(path.join(maildir, "apop.lock"))).toBe(false);
    },
  );

  it("still serves a Maildir whose <root>/<user> is itself a link (placed there by the administrator)", async () => {
    const root = makeRoot();
    const elsewhere = makeMaildir(makeRoot(), "real", [
      { name: "1700000000.m.host", content: "m\n" },
    ]);
    symlinkSync(elsewhere, path.join(root, "u"));
    const drop = await createMaildirStore({ root }).open("u");
    expect(await readText(drop, 0)).toBe("m\n");
    await drop.commit([0]);
    expect(readdirSync(path.join(elsewhere, "new"))).toEqual([]);
  });

  it("a folder swapped for a link after login: RETR serves nothing and QUIT deletes nothing there", async () => {
    const root = makeRoot();
    const name = "1700000000.victim.host";
    const { dir, file } = victimDir(root, name);
    const maildir = makeMaildir(root, "u", [{ name, content: "my own mail\n" }]);
    const drop = await createMaildirStore({ root }).open("u");
    // The owner moves new/ aside and points new/ at a directory with a file of the same name.
    renameSync(path.join(maildir, "new"), path.join(maildir, "new.aside"));
    symlinkSync(dir, path.join(maildir, "new"));
    const read = await rejection(readAll(drop.read(0)));
    expect(StoreError.isInstance(read) && read.code).toBe("sys-temp");
    const committed = await rejection(drop.commit([0]));
    expect(StoreError.isInstance(committed) && committed.code).toBe("sys-temp");
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(path.join(maildir, "new.aside"))).toEqual([name]);
    expect(existsSync(path.join(maildir, "apop.lock"))).toBe(false);
  });

  it("a file put in place of a listed message under the same name is neither served nor deleted", async () => {
    const root = makeRoot();
    const name = "1700000000.m.host";
    const maildir = makeMaildir(root, "u", [{ name, content: "listed\n" }]);
    const drop = await createMaildirStore({ root }).open("u");
    const file = path.join(maildir, "new", name);
    // Kept elsewhere (so its inode is not reused), replaced by another file of the same name.
    renameSync(file, path.join(maildir, "kept"));
    writeFileSync(file, "another file\n");
    const read = await rejection(readAll(drop.read(0)));
    expect(StoreError.isInstance(read) && read.code).toBe("sys-temp");
    await drop.commit([0]);
    expect(existsSync(file)).toBe(true);
  });
});

describe("odd contents", () => {
  const contents: [string, Buffer][] = [
    ["NUL bytes", latin1("Subject: nul\n\na\0b\0\n")],
    ["a lone CR at the end", latin1("Subject: cr\n\nlast\r")],
    ["CR CR LF", latin1("Subject: crcr\r\r\n\r\nbody\r\r\n")],
    ["a last line of '.' and no newline", latin1("Subject: dot\n\nbody\n.")],
    ["nothing at all", latin1("")],
    ["8-bit bytes", latin1("Subject: \xe9\xff\n\n\x80\x81\n")],
  ];

  it.each(contents)(
    "%s: stored bytes read back exactly, LIST size as sent on the wire",
    async (_, content) => {
      const root = makeRoot();
      makeMaildir(root, "u", [{ name: "1700000000.m.host", content }]);
      const drop = await createMaildirStore({ root }).open("u");
      expect(drop.messages[0]?.size).toBe(wireSizeOf(content));
      const { text } = await readAll(drop.read(0));
      expect(latin1(text)).toEqual(content);
      await drop.release();
    },
  );

  it("50 MiB without a single newline: counted right, streamed in chunks of at most 256 KiB", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u");
    const size = 50 * 1024 * 1024;
    const handle = await open(path.join(maildir, "new", "1700000000.big.host"), "w");
    const block = Buffer.alloc(1024 * 1024, "x");
    for (let i = 0; i < 50; i++) await handle.write(block);
    await handle.close();
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages[0]?.size).toBe(size);
    let total = 0;
    let largest = 0;
    for await (const chunk of drop.read(0)) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    expect(total).toBe(size);
    expect(largest).toBeLessThanOrEqual(256 * 1024);
    await drop.release();
  });
});

describe("races", () => {
  it("two sessions open one maildrop at the same instant: exactly one wins, the other is in-use", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [{ name: "1700000000.m.host" }]);
    const store = createMaildirStore({ root });
    for (let round = 0; round < 20; round++) {
      const outcomes = await Promise.allSettled([store.open("u"), store.open("u")]);
      const won = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
      const lost = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost.map((e) => StoreError.isInstance(e) && e.code)).toEqual(["in-use"]);
      await won[0]?.release();
    }
  });

  it("a message deleted behind the session's back before commit: no error, the rest deleted", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { name: "1700000000.a.host" },
      { name: "1700000001.b.host" },
      { name: "1700000002.c.host" },
    ]);
    const drop = await createMaildirStore({ root }).open("u");
    rmSync(path.join(maildir, "new", "1700000001.b.host"));
    // Another client moved the third to cur/ with a flag meanwhile.
    renameSync(
      path.join(maildir, "new", "1700000002.c.host"),
      path.join(maildir, "cur", "1700000002.c.host:2,S"),
    );
    await drop.commit([1, 2]);
    expect(readdirSync(path.join(maildir, "new"))).toEqual(["1700000000.a.host"]);
    expect(readdirSync(path.join(maildir, "cur"))).toEqual([]);
  });
});
