import { describe, expect, it } from "vitest";
import { concatBytes, isPrintableAscii, latin1ToString, stringToLatin1 } from "./ascii.ts";

describe("latin-1 conversion", () => {
  it("round-trips every octet", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const text = latin1ToString(all);
    expect(text.length).toBe(256);
    expect(stringToLatin1(text)).toEqual(all);
  });

  it("reads inputs longer than one 8192-octet slice", () => {
    const big = new Uint8Array(20_000).fill(0x41);
    expect(latin1ToString(big)).toBe("A".repeat(20_000));
  });

  it("refuses a code unit above 255 instead of truncating it", () => {
    expect(() => stringToLatin1("caf\u00e9\u0100")).toThrow(/index 4/);
  });
});

describe("isPrintableAscii (RFC 1939 section 7)", () => {
  it("accepts 0x21-0x7E only", () => {
    expect(isPrintableAscii("!~azAZ09")).toBe(true);
    expect(isPrintableAscii("")).toBe(true);
    for (const bad of [" ", "\u007f", "\u0000", "\u00e9", "a b"]) {
      expect(isPrintableAscii(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("concatBytes", () => {
  it("joins in order, empty parts included", () => {
    expect(concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)])).toEqual(
      Uint8Array.of(1, 2, 3),
    );
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
