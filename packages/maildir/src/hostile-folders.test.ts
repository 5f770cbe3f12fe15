/**
 * What a hostile mailbox owner can do to `cur/` and `new/` between two commands of a session:
 * swap a folder for a link to a directory elsewhere, or move every message (as a flag change
 * by another client does). Nothing outside the Maildir may be opened, and moved messages are
 * found with one listing per QUIT, not one per message (`maildir-maildrop.ts`).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { StoreError } from "@apop/core";
import { afterEach, describe, expect, it } from "vitest";
import { makeMaildir, makeRoot, readAll, rejection } from "../test/fixture.ts";
import { createMaildirStore } from "./create-maildir-store.ts";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
});

/** Waits until `child` sleeps in its open of a FIFO, waiting for a reader (Linux). */
async function blockedOnTheFifo(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const wchan = await readFile(`/proc/${child.pid}/wchan`, "utf8").catch(() => "");
    if (wchan === "wait_for_partner") return;
    await sleep(20);
  }
  throw new Error("the writer never reached its open of the FIFO");
}

describe("a folder swapped for a link between commands", () => {
  it("RETR opens nothing in the link's target (an open alone can act: a terminal, a device)", async () => {
    const root = makeRoot();
    const name = "1700000000.m.host";
    const maildir = makeMaildir(root, "u", [{ name, content: "mine\n" }]);
    const drop = await createMaildirStore({ root }).open("u");
    // Elsewhere, a FIFO under the message's name, and a writer blocked until someone opens it
    // for reading: the open itself, not any read, would let it go on and exit.
    const elsewhere = path.join(root, "elsewhere");
    mkdirSync(elsewhere);
    execFileSync("mkfifo", [path.join(elsewhere, name)]);
    const writer = spawn("sh", ["-c", 'exec 3>"$1"', "sh", path.join(elsewhere, name)], {
      stdio: "ignore",
    });
    children.push(writer);
    await blockedOnTheFifo(writer);
    renameSync(path.join(maildir, "new"), path.join(maildir, "new.aside"));
    symlinkSync(elsewhere, path.join(maildir, "new"));
    const error = await rejection(readAll(drop.read(0)));
    expect(StoreError.isInstance(error) && error.code).toBe("sys-temp");
    // Had the FIFO been opened, the writer would be gone by now.
    await sleep(200);
    expect(writer.exitCode === null && writer.signalCode === null).toBe(true);
    await drop.release();
  });
});

describe("tmp/ swapped for a link between commands", () => {
  it("recording the login time creates nothing in the link's target", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u");
    const drop = await createMaildirStore({ root }).open("u");
    const elsewhere = path.join(root, "elsewhere");
    mkdirSync(elsewhere);
    utimesSync(elsewhere, 1_000_000, 1_000_000);
    renameSync(path.join(maildir, "tmp"), path.join(maildir, "tmp.aside"));
    symlinkSync(elsewhere, path.join(maildir, "tmp"));
    const error = await rejection(drop.recordLogin?.(Date.now()) ?? Promise.resolve());
    expect(StoreError.isInstance(error) && error.code).toBe("sys-temp");
    expect(statSync(elsewhere).mtimeMs).toBe(1_000_000_000);
    expect(readdirSync(elsewhere)).toEqual([]);
    await drop.release();
  });
});

describe("every message moved between login and QUIT", () => {
  it("deletes each one where it is now, duplicates apart, leaving the rest", async () => {
    const root = makeRoot();
    const messages = [];
    for (let i = 0; i < 300; i++) {
      messages.push({ dir: "new" as const, name: `${1700000000 + i}.m${i}.host` });
    }
    // Three files with one unique name (their ,S= fields differ): three messages.
    for (const size of [1, 2, 3]) {
      messages.push({ dir: "new" as const, name: `1800000000.dup.host,S=${size}` });
    }
    const maildir = makeMaildir(root, "u", messages);
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages).toHaveLength(303);
    // Another client reads everything: each file moves to cur/ with a flag.
    for (const name of readdirSync(path.join(maildir, "new"))) {
      renameSync(path.join(maildir, "new", name), path.join(maildir, "cur", `${name}:2,S`));
    }
    const keep = new Set([5, 299, 301]);
    await drop.commit([...Array(303).keys()].filter((i) => !keep.has(i)));
    expect(readdirSync(path.join(maildir, "new"))).toEqual([]);
    expect(readdirSync(path.join(maildir, "cur")).sort()).toHaveLength(3);
    expect(readdirSync(path.join(maildir, "cur")).sort()).toEqual(
      expect.arrayContaining(["1700000005.m5.host:2,S", "1700000299.m299.host:2,S"]),
    );
    expect(readdirSync(path.join(maildir, "cur")).some((n) => n.startsWith("1800000000.dup"))).toBe(
      true,
    );
  });

  it("a duplicate renamed after the other was deleted is still found by its inode", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [
      { dir: "cur", name: "1700000001.U.host:2,S", content: "first\n" },
      { dir: "new", name: "1700000001.U.host", content: "second\n" },
    ]);
    const drop = await createMaildirStore({ root }).open("u");
    expect(drop.messages).toHaveLength(2);
    // Another client deletes the first, and flags the second (a rename into cur/).
    rmSync(path.join(maildir, "cur", "1700000001.U.host:2,S"));
    renameSync(
      path.join(maildir, "new", "1700000001.U.host"),
      path.join(maildir, "cur", "1700000001.U.host:2,T"),
    );
    await drop.commit([0, 1]);
    expect(readdirSync(path.join(maildir, "cur"))).toEqual([]);
  });
});
