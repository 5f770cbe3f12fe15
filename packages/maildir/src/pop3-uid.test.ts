import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPop3Uid, pop3Uid, uniqueUids } from "./pop3-uid.ts";

describe("pop3Uid", () => {
  it("keeps a valid unique-id as it is", () => {
    expect(pop3Uid("1700000000.M1P2.host")).toBe("1700000000.M1P2.host");
    expect(pop3Uid("x".repeat(70))).toBe("x".repeat(70));
  });

  it("hashes names that are too long or have characters outside 0x21-0x7E (RFC 1939 section 7)", () => {
    for (const odd of ["x".repeat(71), "with space", "tab\there", "caf\u00e9", "", "del\u007f"]) {
      const uid = pop3Uid(odd);
      expect(uid).toMatch(/^[0-9a-f]{40}$/);
      expect(pop3Uid(odd)).toBe(uid);
    }
    expect(pop3Uid("x".repeat(71))).not.toBe(pop3Uid("x".repeat(72)));
  });

  it("always answers a valid unique-id", () => {
    // ASCII (controls and DEL included), any code point, and lone surrogates (the escaped bytes
    // of a file name that is not UTF-8). fast-check's `unit: "binary"` is slow.
    const unit = fc.oneof(
      fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x80, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(fc.property(fc.string({ unit }), (text) => isPop3Uid(pop3Uid(text))));
  });
});

describe("uniqueUids", () => {
  it("leaves distinct UIDs alone", () => {
    expect(uniqueUids(["a", "b", "c"])).toEqual(["a", "b", "c"]);
  });

  it("renames later duplicates -2, -3, ... skipping UIDs already in use", () => {
    expect(uniqueUids(["a", "a", "a-2", "a"])).toEqual(["a", "a-3", "a-2", "a-4"]);
  });

  it("hashes a renamed duplicate that would be too long", () => {
    const long = "y".repeat(70);
    const [first, second] = uniqueUids([long, long]);
    expect(first).toBe(long);
    expect(second).toMatch(/^[0-9a-f]{40}$/);
  });

  it("always answers unique, valid UIDs, the same for the same input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom("a", "a-2", "b", "z".repeat(70)), { maxLength: 20 }),
        (uids) => {
          const out = uniqueUids(uids);
          expect(new Set(out).size).toBe(out.length);
          expect(out.every(isPop3Uid)).toBe(true);
          expect(uniqueUids(uids)).toEqual(out);
        },
      ),
    );
  });
});
