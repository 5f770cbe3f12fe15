import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "./base64.ts";

const seed = 4648;

describe("encodeBase64", () => {
  it("encodes the RFC 4648 section 10 test vectors", () => {
    const vectors: [string, string][] = [
      ["", ""],
      ["f", "Zg=="],
      ["fo", "Zm8="],
      ["foo", "Zm9v"],
      ["foob", "Zm9vYg=="],
      ["fooba", "Zm9vYmE="],
      ["foobar", "Zm9vYmFy"],
    ];
    for (const [plain, encoded] of vectors) {
      const bytes = new Uint8Array(Buffer.from(plain, "latin1"));
      expect(encodeBase64(bytes)).toBe(encoded);
      expect(decodeBase64(encoded)).toEqual(bytes);
    }
  });

  it("matches Buffer on random bytes and round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const encoded = encodeBase64(bytes);
        expect(encoded).toBe(Buffer.from(bytes).toString("base64"));
        expect(decodeBase64(encoded)).toEqual(bytes);
      }),
      { seed, numRuns: 1000 },
    );
  });
});

describe("decodeBase64", () => {
  it.each([
    ["a length that is not a multiple of 4", "Zm9"],
    ["missing padding", "Zg"],
    ["one '=' where two are needed", "Zg="],
    ["too much padding", "Z==="],
    ["all padding", "===="],
    ["padding in the middle", "Zg==Zg=="],
    ["'=' inside a quad", "Z=9v"],
    ["a space", "Zm9v Zm9v"],
    ["a line break", "Zm9v\r\nZm9v"],
    ["a trailing newline", "Zm9v\n"],
    ["the URL-safe alphabet", "-_-_"],
    ["a non-ASCII character", "Zm9\u00e9"],
    ["non-zero bits before '=='", "Zh=="],
    ["non-zero bits before '='", "Zm9="],
    ["a NUL", "Zm9\u0000"],
  ])("rejects %s", (_name, text) => {
    expect(decodeBase64(text)).toBeNull();
  });

  it("accepts only canonical encodings, and those agree with Buffer", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n";
    const candidate = fc.string({
      unit: fc.integer({ min: 0, max: alphabet.length - 1 }).map((i) => alphabet.charAt(i)),
      maxLength: 16,
    });
    fc.assert(
      fc.property(candidate, (text) => {
        const decoded = decodeBase64(text);
        if (decoded !== null) {
          expect(encodeBase64(decoded)).toBe(text);
          expect(decoded).toEqual(new Uint8Array(Buffer.from(text, "base64")));
        }
      }),
      { seed, numRuns: 5000 },
    );
  });

  it("accepts a valid encoding with one character changed only if it is still canonical", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n";
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.nat({ max: alphabet.length - 1 }),
        (bytes, position, replacement) => {
          const valid = encodeBase64(bytes);
          const at = position % valid.length;
          const text = valid.slice(0, at) + alphabet.charAt(replacement) + valid.slice(at + 1);
          const decoded = decodeBase64(text);
          if (decoded !== null) {
            expect(encodeBase64(decoded)).toBe(text);
            expect(decoded).toEqual(new Uint8Array(Buffer.from(text, "base64")));
          }
        },
      ),
      { seed, numRuns: 3000 },
    );
  });

  it("decodes the empty string to no bytes", () => {
    expect(decodeBase64("")).toEqual(new Uint8Array(0));
  });
});
