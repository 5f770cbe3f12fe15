import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeUtf8, encodeUtf8 } from "./utf8.ts";

const seed = 0x5a5a;
/** Any UTF-16 code unit, lone surrogates included. */
const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
/**
 * Any Unicode scalar value (no lone surrogates). fast-check's own `unit: "binary"` is the same
 * set but takes seconds per hundred strings.
 */
const anyCodePoint = fc
  .integer({ min: 0, max: 0x10ffff - 0x800 })
  .map((c) => String.fromCodePoint(c < 0xd800 ? c : c + 0x800));

describe("encodeUtf8", () => {
  it("encodes every width of code point", () => {
    expect([...encodeUtf8("A\u00e9\u20ac\u{1f600}")]).toEqual([
      0x41, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
    ]);
    expect(encodeUtf8("")).toEqual(new Uint8Array(0));
  });

  it("turns lone surrogates into U+FFFD, as Buffer and TextEncoder do", () => {
    for (const text of ["\ud800", "a\udc00b", "\ud83d", "\ude00\ud83d"]) {
      expect(encodeUtf8(text)).toEqual(new Uint8Array(Buffer.from(text, "utf8")));
    }
  });

  it("matches Buffer on arbitrary strings, well-formed or not", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodePoint }), fc.string({ unit: anyCodeUnit }), (a, b) => {
        for (const text of [a, b]) {
          expect(encodeUtf8(text)).toEqual(new Uint8Array(Buffer.from(text, "utf8")));
        }
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe("encodeUtf8's ASCII fast path", () => {
  const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) });

  it("matches TextEncoder on ASCII, and where the ASCII ends at any point", () => {
    const encoder = new TextEncoder();
    fc.assert(
      fc.property(ascii, fc.string({ unit: anyCodeUnit }), ascii, (head, middle, tail) => {
        for (const text of [head, head + middle, head + middle + tail, `${head}\u0080`, `${head}\ud800`]) {
          expect(encodeUtf8(text)).toEqual(encoder.encode(text));
        }
      }),
      { seed, numRuns: 500 },
    );
  });

  it("stops at the first code unit past 0x7F, whatever comes before it", () => {
    expect([...encodeUtf8("\x7f\x80")]).toEqual([0x7f, 0xc2, 0x80]);
    expect([...encodeUtf8("+OK \udc00")]).toEqual([0x2b, 0x4f, 0x4b, 0x20, 0xef, 0xbf, 0xbd]);
    expect([...encodeUtf8("a\u{1f600}")]).toEqual([0x61, 0xf0, 0x9f, 0x98, 0x80]);
  });
});

describe("decodeUtf8", () => {
  it("round-trips well-formed strings and agrees with Buffer", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyCodePoint }), (text) => {
        const bytes = encodeUtf8(text);
        expect(decodeUtf8(bytes)).toBe(text);
        expect(decodeUtf8(bytes)).toBe(Buffer.from(bytes).toString("utf8"));
      }),
      { seed, numRuns: 500 },
    );
  });

  it("decodes long input across its internal chunks", () => {
    const text = "\u{1f600}x\u00e9".repeat(5000);
    expect(decodeUtf8(encodeUtf8(text))).toBe(text);
  });

  it("accepts random bytes exactly when they are well-formed UTF-8", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const decoded = decodeUtf8(bytes);
        // Buffer replaces what it cannot decode; well-formed input is the only input whose
        // decoding re-encodes to the same bytes.
        const viaBuffer = Buffer.from(bytes).toString("utf8");
        const wellFormed = Buffer.from(viaBuffer, "utf8").equals(Buffer.from(bytes));
        expect(decoded).toBe(wellFormed ? viaBuffer : null);
      }),
      { seed, numRuns: 2000 },
    );
  });

  it.each([
    ["a stray continuation byte", [0x80]],
    ["a truncated two-byte sequence", [0xc3]],
    ["a truncated three-byte sequence", [0xe2, 0x82]],
    ["a truncated four-byte sequence", [0xf0, 0x9f, 0x98]],
    ["a lead byte followed by ASCII", [0xc3, 0x41]],
    ["overlong NUL (C0 80)", [0xc0, 0x80]],
    ["overlong '/' (C1 AF)", [0xc1, 0xaf]],
    ["overlong three-byte (E0 80 AF)", [0xe0, 0x80, 0xaf]],
    ["overlong four-byte (F0 80 80 AF)", [0xf0, 0x80, 0x80, 0xaf]],
    ["a high surrogate (ED A0 80)", [0xed, 0xa0, 0x80]],
    ["a low surrogate (ED BF BF)", [0xed, 0xbf, 0xbf]],
    ["above U+10FFFF (F4 90 80 80)", [0xf4, 0x90, 0x80, 0x80]],
    ["F5", [0xf5, 0x80, 0x80, 0x80]],
    ["FF", [0xff]],
  ])("rejects %s", (_name, bytes) => {
    expect(decodeUtf8(new Uint8Array(bytes))).toBeNull();
  });

  it("accepts the boundaries of each range", () => {
    const cases: [number[], string][] = [
      [[0x7f], "\u007f"],
      [[0xc2, 0x80], "\u0080"],
      [[0xdf, 0xbf], "\u07ff"],
      [[0xe0, 0xa0, 0x80], "\u0800"],
      [[0xed, 0x9f, 0xbf], "\ud7ff"],
      [[0xee, 0x80, 0x80], "\ue000"],
      [[0xef, 0xbf, 0xbf], "\uffff"],
      [[0xf0, 0x90, 0x80, 0x80], "\u{10000}"],
      [[0xf4, 0x8f, 0xbf, 0xbf], "\u{10ffff}"],
    ];
    for (const [bytes, text] of cases) expect(decodeUtf8(new Uint8Array(bytes))).toBe(text);
  });
});
