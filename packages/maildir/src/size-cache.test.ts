import { statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot } from "../test/fixture.ts";
import { readSizeCache, SIZE_CACHE_FILE } from "./size-cache.ts";

describe("readSizeCache", () => {
  it("ignores a cache larger than 4 MiB + 512 octets a message of the snapshot", () => {
    // A planted 64 MiB cache beside one message made a login parse 16 million lines (13 s,
    // 2 GB). The bound is by the snapshot (`snapshot-file-limit.ts`); above it the sizes are
    // counted and the next write replaces the file.
    const maildir = makeMaildir(makeRoot(), "u");
    const file = path.join(maildir, SIZE_CACHE_FILE);
    const limit = 4 * 1024 * 1024 + 512;
    const head = "apop-sizes 1\n7\t5\t1700000000000\t1700000000.a.host\n";
    // 200,000 junk entries, then a junk line up to the size wanted.
    const lines = `${head}${"1\tx\n".repeat(200_000)}`;
    const filled = (octets: number) => `${lines}${"9".repeat(octets - lines.length - 1)}\n`;
    writeFileSync(file, filled(limit));
    expect(statSync(file).size).toBe(limit);
    const key = "5\t1700000000000\t1700000000.a.host";
    expect(readSizeCache({ maildir, messageCount: 1 }).get(key)).toBe(7);
    writeFileSync(file, filled(limit + 1));
    expect(readSizeCache({ maildir, messageCount: 1 }).size).toBe(0);
    // Two messages allow 512 octets more; an unknown count allows 64 MiB.
    expect(readSizeCache({ maildir, messageCount: 2 }).get(key)).toBe(7);
    expect(readSizeCache({ maildir }).get(key)).toBe(7);
  });
});
