import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { StoreError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot, rejection } from "../test/fixture.ts";
import { appendDovecotUidlist } from "./append-dovecot-uidlist.ts";
import { createMaildirStore } from "./create-maildir-store.ts";
import { dovecotUidlistSource } from "./dovecot-uidlist-source.ts";
import { parseMaildirName } from "./parse-maildir-name.ts";

/** As Dovecot 2.3 writes it: UIDVALIDITY 0x65000000, next UID 5, two records. */
const UIDLIST =
  "3 V1694498816 N5 G0123456789abcdef0123456789abcdef\n3 :1700000000.a.host,S=20\n4 W31 :1700000001.b.host\n";

function setup(messages: string[], uidlist?: string): { root: string; file: string } {
  const root = makeRoot();
  const maildir = makeMaildir(
    root,
    "u",
    messages.map((name) => ({ name })),
  );
  const file = path.join(maildir, "dovecot-uidlist");
  if (uidlist !== undefined) writeFileSync(file, uidlist);
  return { root, file };
}

async function uids(root: string, source = dovecotUidlistSource()): Promise<string[]> {
  const drop = await createMaildirStore({ root, uidSource: source }).open("u");
  await drop.release();
  return drop.messages.map((message) => message.uid);
}

describe("dovecotUidlistSource: mail Dovecot has not indexed", () => {
  it("appends it in snapshot order from the next UID, by base name, once", async () => {
    const { root, file } = setup(
      ["1700000000.a.host,S=20", "1700000001.b.host", "1700000002.c.host,S=9", "1700000003.d.host"],
      UIDLIST,
    );
    const first = await uids(root);
    expect(first).toEqual([
      "0000000365000000",
      "0000000465000000",
      "0000000565000000",
      "0000000665000000",
    ]);
    const written = readFileSync(file, "utf8");
    expect(written).toBe(`${UIDLIST}5 :1700000002.c.host,S=9\n6 :1700000003.d.host\n`);
    // A second session finds them listed: the same UIDLs, nothing written.
    expect(await uids(root)).toEqual(first);
    expect(readFileSync(file, "utf8")).toBe(written);
    // The lock is gone.
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("counts past the last record when the header's next UID is behind it", async () => {
    const { root, file } = setup(
      ["1700000001.b.host", "1700000009.z.host"],
      "3 V1694498816 N2\n4 :1700000001.b.host\n",
    );
    expect(await uids(root)).toEqual(["0000000465000000", "0000000565000000"]);
    expect(readFileSync(file, "utf8")).toMatch(/\n5 :1700000009\.z\.host\n$/);
  });

  it("writes nothing where Dovecot never wrote, after a torn write, or with append: false", async () => {
    const none = setup(["1700000009.z.host"]);
    expect(await uids(none.root)).toEqual(["1700000009.z.host"]);
    expect(existsSync(none.file)).toBe(false);
    const torn = UIDLIST.slice(0, -1);
    const cut = setup(["1700000009.z.host"], torn);
    expect(await uids(cut.root)).toEqual(["1700000009.z.host"]);
    expect(readFileSync(cut.file, "utf8")).toBe(torn);
    const off = setup(["1700000009.z.host"], UIDLIST);
    expect(await uids(off.root, dovecotUidlistSource({ append: false }))).toEqual([
      "1700000009.z.host",
    ]);
    expect(readFileSync(off.file, "utf8")).toBe(UIDLIST);
  });

  it("waits for Dovecot's dovecot-uidlist.lock, then fails the open with sys-temp", async () => {
    const { root, file } = setup(["1700000009.z.host"], UIDLIST);
    // A live process on this host (pid 1 stands in for Dovecot) holds the lock.
    writeFileSync(`${file}.lock`, `1:${hostname()}`);
    const error = await rejection(
      createMaildirStore({ root, uidSource: dovecotUidlistSource({ lockWaitMs: 0 }) }).open("u"),
    );
    expect(StoreError.isInstance(error) && error.code).toBe("sys-temp");
    expect(readFileSync(file, "utf8")).toBe(UIDLIST);
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(`1:${hostname()}`);
    // Dovecot is done: the next open appends.
    writeFileSync(`${file}.lock`, `999999999:${hostname()}`);
    expect(await uids(root)).toEqual(["0000000565000000"]);
  });
});

describe("appendDovecotUidlist on a large mailbox", () => {
  it("counts past 200,000 records without passing them all as arguments", async () => {
    // A mailbox Dovecot indexed with 200,000 messages, and one new: `Math.max(...uids)`
    // overflowed the stack here. No message files are needed: only the uidlist is written.
    const { file } = setup([]);
    const names = Array.from({ length: 200_000 }, (_, i) => `${1600000000 + i}.M${i}.host`);
    writeFileSync(
      file,
      `3 V1694498816 N7\n${names.map((name, i) => `${i + 1} :${name}\n`).join("")}`,
    );
    const messages = [...names, "1700000000.new.host"].map(parseMaildirName);
    const uidlist = await appendDovecotUidlist({ file, messages, lockWaitMs: 0 });
    expect(uidlist?.records.at(-1)).toMatchObject({
      uid: 200_001,
      fileName: "1700000000.new.host",
    });
    expect(readFileSync(file, "utf8")).toMatch(
      /\n200000 :1600199999\.M199999\.host\n200001 :1700000000\.new\.host\n$/,
    );
  });
});
