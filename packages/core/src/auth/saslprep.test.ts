import { describe, expect, it } from "vitest";
import { SaslprepError, saslprep } from "./saslprep.ts";

describe("SASLprep (RFC 4013)", () => {
  // RFC 4013 section 3, the examples.
  it.each([
    ["I\u00adX", "IX", "SOFT HYPHEN mapped to nothing"],
    ["user", "user", "no transformation"],
    ["USER", "USER", "case preserved"],
    ["\u00aa", "a", "NFKC"],
    ["\u2168", "IX", "NFKC"],
  ])("prepares %j as %j (%s)", (input, output) => {
    expect(saslprep({ text: input })).toBe(output);
  });

  it.each([
    ["\u0007", "prohibited character"],
    ["\u0627\u0031", "bidi check"],
  ])("refuses %j (%s)", (input) => {
    expect(() => saslprep({ text: input })).toThrow(SaslprepError);
  });

  it("maps non-ASCII spaces to SPACE and keeps right-to-left strings that follow the bidi rule", () => {
    expect(saslprep({ text: "a\u00a0b\u3000c" })).toBe("a b c");
    expect(saslprep({ text: "\u05d0\u05d1" })).toBe("\u05d0\u05d1");
    expect(() => saslprep({ text: "\u05d0a\u05d1" })).toThrow(SaslprepError);
  });

  it("refuses private use, non-characters, lone surrogates and tags; unassigned only when stored", () => {
    for (const text of ["\ue000", "\ufffe", "\ud800", "\u{e0041}", "\u202e"]) {
      expect(() => saslprep({ text }), text).toThrow(SaslprepError);
    }
    const unassigned = "\u0378";
    expect(saslprep({ text: unassigned })).toBe(unassigned);
    expect(() => saslprep({ text: unassigned, stored: true })).toThrow(SaslprepError);
  });
});
