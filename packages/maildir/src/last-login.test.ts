import { readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StoreError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot } from "../test/fixture.ts";
import { createMaildirStore } from "./create-maildir-store.ts";
import { LAST_LOGIN_FILE } from "./last-login.ts";

describe("the last login kept in the Maildir (LOGIN-DELAY)", () => {
  it("is null at first, then what the last session recorded, across store instances", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "alice");
    const first = await createMaildirStore({ root }).open("alice");
    expect(createMaildirStore({ root }).keepsLastLogin).toBe(true);
    expect(await first.lastLogin?.()).toBeNull();
    await first.recordLogin?.(1_700_000_000_123);
    await first.release();
    // Another store (another server process, or the next after a restart) reads it back.
    const second = await createMaildirStore({ root }).open("alice");
    expect(await second.lastLogin?.()).toBe(1_700_000_000_123);
    await second.release();
    expect(readFileSync(path.join(maildir, LAST_LOGIN_FILE), "utf8")).toBe("1700000000123\n");
  });

  it("ignores a file that is not a number, and does not follow a planted link", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "bob");
    writeFileSync(path.join(maildir, LAST_LOGIN_FILE), "soon");
    const maildrop = await createMaildirStore({ root }).open("bob");
    expect(await maildrop.lastLogin?.()).toBeNull();
    await maildrop.release();
    const target = path.join(root, "elsewhere");
    writeFileSync(target, "1\n");
    const other = makeMaildir(root, "carol");
    symlinkSync(target, path.join(other, LAST_LOGIN_FILE));
    const linked = await createMaildirStore({ root }).open("carol");
    const error = await linked.lastLogin?.().catch((e: unknown) => e);
    expect(StoreError.isInstance(error)).toBe(true);
    await linked.release();
  });
});
