import { describe, expect, it } from "vitest";
import { WireSizeCounter, wireSize } from "./wire-size.ts";

/** Octets from a string of char codes 0-255 (latin1), so tests can spell any byte. */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

// [behaviour, stored message, size on the wire before stuffing (RFC 1939 section 11)]
const rows: [string, string, number][] = [
  ["counts an empty message as 0", "", 0],
  ["counts a last line without a line ending without one", "abc", 3],
  ["counts a bare LF as CRLF", "abc\n", 5],
  ["counts CRLF once", "abc\r\n", 5],
  ["counts every bare LF of empty lines as CRLF", "\n\n\n", 6],
  ["counts a lone CR as one octet", "a\rb", 3],
  ["counts a message ending in a lone CR as one octet", "a\r", 2],
  ["takes only the CR right before an LF as part of the ending", "a\r\r\n", 4],
  ["does not count dot-stuffing", ".\n..\n", 7],
  ["counts 8-bit octets once", "\u00ff\u0080\u0000\n", 5],
  ["mixes LF and CRLF line endings", "a\nb\r\nc\n", 9],
];

describe("wireSize", () => {
  it.each(rows)("%s", (_, message, size) => {
    expect(wireSize(bytes(message))).toBe(size);
  });
});

describe("WireSizeCounter", () => {
  it.each(rows)("%s, split at every offset", (_, message, size) => {
    const input = bytes(message);
    for (let cut = 0; cut <= input.length; cut++) {
      const counter = new WireSizeCounter();
      counter.update(input.subarray(0, cut));
      counter.update(input.subarray(cut));
      expect(counter.size).toBe(size);
    }
  });

  it("counts a CR and an LF in separate chunks as one CRLF", () => {
    const counter = new WireSizeCounter();
    counter.update(bytes("a\r"));
    counter.update(new Uint8Array(0));
    counter.update(bytes("\n"));
    expect(counter.size).toBe(3);
  });

  it("starts at 0", () => {
    expect(new WireSizeCounter().size).toBe(0);
  });
});
