import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../bytes/hex.ts";
import { sha256 } from "./sha256.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe("sha256 (FIPS 180-4)", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
  ])("gives FIPS 180-4's answer for %j", (input, digest) => {
    expect(toHex(sha256(ascii(input)))).toBe(digest);
  });

  it("agrees with node:crypto at every length around the block and padding edges", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(toHex(sha256(bytes))).toBe(createHash("sha256").update(bytes).digest("hex"));
      }),
      { seed: 180, numRuns: 300 },
    );
  });
});
