import { existsSync, fstatSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeRoot } from "../test/fixture.ts";
import { createLockFile } from "./create-lock-file.ts";

describe("createLockFile", () => {
  it("creates the file with its content (mode 0600) and answers what inspect saw", () => {
    const file = path.join(makeRoot(), "x.lock");
    const ino = createLockFile({ file, content: "mine", inspect: (fd) => fstatSync(fd).ino });
    expect(ino).toBe(statSync(file).ino);
    expect(readFileSync(file, "utf8")).toBe("mine");
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("answers undefined and leaves an existing file as it is", () => {
    const file = path.join(makeRoot(), "x.lock");
    writeFileSync(file, "theirs");
    expect(createLockFile({ file, content: "mine", inspect: () => true })).toBeUndefined();
    expect(readFileSync(file, "utf8")).toBe("theirs");
  });

  it("removes the file it created when the rest fails, so it blocks nobody", () => {
    const file = path.join(makeRoot(), "x.lock");
    const failing = () => {
      throw new Error("no space left");
    };
    expect(() => createLockFile({ file, content: "mine", inspect: failing })).toThrow(
      "no space left",
    );
    expect(existsSync(file)).toBe(false);
  });

  it("throws the file-system error for anything but an existing file", () => {
    const file = path.join(makeRoot(), "missing", "x.lock");
    expect(() => createLockFile({ file, content: "mine", inspect: () => true })).toThrow(
      expect.objectContaining({ code: "ENOENT" }),
    );
  });
});
