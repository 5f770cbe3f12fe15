import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../bytes/hex.ts";
import { encodeUtf8 } from "../bytes/utf8.ts";
import { Md5, md5 } from "./md5.ts";

const seed = 1321;

function nodeMd5(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md5").update(bytes).digest());
}

describe("md5", () => {
  // RFC 1321 appendix A.5, all seven.
  it.each([
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
    [
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
      "d174ab98d277d9f5a5611c2c9f419d9f",
    ],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ])("MD5(%j) = %s (RFC 1321 A.5)", (input, digest) => {
    expect(toHex(md5(encodeUtf8(input)))).toBe(digest);
  });

  it("returns 16 bytes", () => {
    expect(md5(new Uint8Array(1000)).length).toBe(16);
  });

  it("matches node:crypto at every length around the padding boundaries", () => {
    // 55 is the longest input whose padding fits in one block; 56 needs a second block.
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000]) {
      const bytes = new Uint8Array(randomBytes(length));
      expect(md5(bytes)).toEqual(nodeMd5(bytes));
    }
  });

  it("matches node:crypto on random inputs of random lengths", () => {
    const length = fc.oneof(
      fc.constantFrom(55, 56, 63, 64, 65),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 5000 }),
    );
    fc.assert(
      fc.property(
        length.chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        (bytes) => {
          expect(md5(bytes)).toEqual(nodeMd5(bytes));
        },
      ),
      { seed, numRuns: 400 },
    );
  });

  it("reads a subarray at an unaligned offset, not its whole buffer", () => {
    const backing = new Uint8Array(randomBytes(300));
    const slice = backing.subarray(3, 250);
    expect(md5(slice)).toEqual(nodeMd5(slice));
  });
});

describe("Md5 (incremental)", () => {
  it("gives the same digest however the input is split across update calls", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (bytes, cuts) => {
          const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort(
            (x, y) => x - y,
          );
          const hash = new Md5();
          let from = 0;
          for (const point of [...points, bytes.length]) {
            hash.update(bytes.subarray(from, point));
            from = point;
          }
          expect(hash.digest()).toEqual(nodeMd5(bytes));
        },
      ),
      { seed, numRuns: 500 },
    );
  });

  it("splits at the block boundaries exactly (55, 56, 63, 64, 65)", () => {
    const bytes = new Uint8Array(randomBytes(200));
    for (const first of [55, 56, 63, 64, 65]) {
      for (const second of [0, 1, 8, 9, 63, 64, 65]) {
        const hash = new Md5()
          .update(bytes.subarray(0, first))
          .update(bytes.subarray(first, first + second))
          .update(bytes.subarray(first + second));
        expect(hash.digest()).toEqual(nodeMd5(bytes));
      }
    }
  });

  it("hashes byte by byte", () => {
    const bytes = new Uint8Array(randomBytes(130));
    const hash = new Md5();
    for (const byte of bytes) hash.update(Uint8Array.of(byte));
    expect(hash.digest()).toEqual(nodeMd5(bytes));
  });

  it("keeps going after digest(): a later digest covers everything", () => {
    const hash = new Md5().update(encodeUtf8("message "));
    expect(toHex(hash.digest())).toBe(toHex(md5(encodeUtf8("message "))));
    hash.update(encodeUtf8("digest"));
    expect(toHex(hash.digest())).toBe("f96b697d7cb7938d525a2f31aaf161d0");
    expect(toHex(hash.digest())).toBe("f96b697d7cb7938d525a2f31aaf161d0");
  });

  it("does not keep or modify the caller's bytes", () => {
    const bytes = new Uint8Array(randomBytes(100));
    const copy = bytes.slice();
    const hash = new Md5().update(bytes);
    bytes.fill(0);
    expect(hash.digest()).toEqual(nodeMd5(copy));
  });
});
