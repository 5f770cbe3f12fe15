import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { isUniqueId, uniqueIdFrom, uniqueIds } from "./unique-ids.ts";

/** Any code point or lone surrogate (fast-check's own `unit: "binary"` is slow). */
const anyText = fc.oneof(
  fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);

describe("uniqueIdFrom (RFC 1939 section 7)", () => {
  it("keeps a valid unique-id as it is", () => {
    expect(uniqueIdFrom({ candidate: "1700000000.M1P2.host" })).toBe("1700000000.M1P2.host");
    expect(uniqueIdFrom({ candidate: "x".repeat(70) })).toBe("x".repeat(70));
  });

  it("hashes what is too long or outside 0x21-0x7E: 40 hex digits of SHA-256, stable", () => {
    for (const odd of ["x".repeat(71), "with space", "tab\there", "caf\u00e9", "", "del\u007f"]) {
      const uid = uniqueIdFrom({ candidate: odd });
      expect(uid).toBe(createHash("sha256").update(odd, "utf8").digest("hex").slice(0, 40));
      expect(uniqueIdFrom({ candidate: odd })).toBe(uid);
    }
  });

  it("hashes the bytes given, for a name that is not UTF-8", () => {
    const bytes = Uint8Array.of(0x66, 0xff, 0x20);
    expect(uniqueIdFrom({ candidate: "f\ufffd ", bytes })).toBe(
      createHash("sha256").update(bytes).digest("hex").slice(0, 40),
    );
  });

  it("always answers a valid unique-id", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyText, maxLength: 80 }), (candidate) =>
        isUniqueId(uniqueIdFrom({ candidate })),
      ),
      { seed: 1939, numRuns: 200 },
    );
  });
});

describe("uniqueIds", () => {
  it("leaves distinct, valid unique-ids alone", () => {
    expect(uniqueIds(["a", "b", "c"])).toEqual(["a", "b", "c"]);
  });

  it("tells duplicates apart: -2, -3, ... skipping unique-ids already in use", () => {
    expect(uniqueIds(["a", "a", "a-2", "a"])).toEqual(["a", "a-3", "a-2", "a-4"]);
  });

  it("hashes a renamed duplicate that would be too long, and an invalid one first", () => {
    const long = "y".repeat(70);
    const [first, second] = uniqueIds([long, long]);
    expect(first).toBe(long);
    expect(second).toMatch(/^[0-9a-f]{40}$/);
    expect(uniqueIds(["has space"])[0]).toMatch(/^[0-9a-f]{40}$/);
  });

  it("always answers unique, valid unique-ids, the same for the same input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "a-2", "b", "z".repeat(70), "", "sp ace"), {
          maxLength: 20,
        }),
        (uids) => {
          const out = uniqueIds(uids);
          expect(new Set(out).size).toBe(out.length);
          expect(out.every(isUniqueId)).toBe(true);
          expect(uniqueIds(uids)).toEqual(out);
        },
      ),
      { seed: 1939, numRuns: 200 },
    );
  });
});

/** `uniqueIds` as it was before it remembered the next suffix: the rule it must keep. */
function uniqueIdsFromTheStart(uids: readonly string[]): string[] {
  const valid = uids.map((candidate) => uniqueIdFrom({ candidate }));
  const taken = new Set(valid);
  const given = new Set<string>();
  return valid.map((uid) => {
    if (!given.has(uid)) {
      given.add(uid);
      return uid;
    }
    for (let n = 2; ; n++) {
      const candidate = uniqueIdFrom({ candidate: `${uid}-${n}` });
      if (!given.has(candidate) && !taken.has(candidate)) {
        given.add(candidate);
        return candidate;
      }
    }
  });
}

describe("uniqueIds with many duplicates (docs/security.md, quadratic work)", () => {
  it("tries each suffix of a unique-id once, not again for every later duplicate", () => {
    // Names like `X,W=1,A=<n>` all have the unique name `X`: the k-th duplicate tried `X-2` to
    // `X-k` again, and 60,000 of them took minutes. Counted as lookups, not timed.
    const uids = Array.from({ length: 2000 }, () => "X");
    const has = vi.spyOn(Set.prototype, "has");
    let lookups: number;
    try {
      uniqueIds(uids);
      lookups = has.mock.calls.length;
    } finally {
      has.mockRestore();
    }
    expect(lookups).toBeLessThan(4 * uids.length);
  });

  it("answers exactly what trying -2, -3, ... from the start answers", () => {
    const long = "L".repeat(69);
    // Renamed candidates that are already in use, hashed ones included, so suffixes get skipped.
    const inUse = ["a-2", "a-4", "b-2-2", `${long}-2`, uniqueIdFrom({ candidate: `${long}-3` })];
    const candidate = fc.constantFrom("a", "a", "a", "b", "b-2", long, long, "sp ace", ...inUse);
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 60 }), (uids) => {
        expect(uniqueIds(uids)).toEqual(uniqueIdsFromTheStart(uids));
      }),
      { seed: 1939, numRuns: 500 },
    );
  });
});
