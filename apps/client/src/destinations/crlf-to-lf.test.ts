import { describe, expect, it } from "vitest";
import { CrlfToLf } from "./crlf-to-lf.ts";

const latin1 = (text: string): Uint8Array => Buffer.from(text, "latin1");
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("latin1");

/** Runs `input` through a converter cut at `cuts` and joins the output. */
function convert(input: string, cuts: number[]): string {
  const converter = new CrlfToLf();
  const bytes = latin1(input);
  let out = "";
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    out += text(converter.push(bytes.subarray(start, cut)));
    start = cut;
  }
  return out + text(converter.end());
}

describe("CrlfToLf", () => {
  it.each([
    ["a\r\nb\r\n", "a\nb\n"],
    ["", ""],
    ["\r\n\r\n", "\n\n"],
    ["a\rb\r.\r\n", "a\rb\r.\n"],
    ["bare\nlf\n", "bare\nlf\n"],
    ["ends in cr\r", "ends in cr\r"],
    ["\r\r\n\n", "\r\n\n"],
    ["\r\r\r\nx\r", "\r\r\nx\r"],
    ["line one\r\nline\rtwo\r\n\r\nthree", "line one\nline\rtwo\n\nthree"],
  ])("turns %j into %j, however the input is split in two or three", (input, output) => {
    expect(convert(input, [])).toBe(output);
    for (let i = 0; i <= input.length; i++) {
      expect(convert(input, [i])).toBe(output);
      for (let j = i; j <= input.length; j++) expect(convert(input, [i, j])).toBe(output);
    }
  });

  it("converts in place: the result is a view of the chunk it was given", () => {
    const chunk = latin1("one\r\ntwo\r\n");
    const converted = new CrlfToLf().push(chunk);
    expect(text(converted)).toBe("one\ntwo\n");
    expect(converted.buffer).toBe(chunk.buffer);
    expect(converted.byteOffset).toBe(chunk.byteOffset);
  });

  it("leaves the bytes around a chunk alone", () => {
    const whole = latin1("ab\r\ncd\r\nef");
    const converter = new CrlfToLf();
    expect(text(converter.push(whole.subarray(2, 8)))).toBe("\ncd\n");
    expect(text(whole.subarray(0, 2))).toBe("ab");
    expect(text(whole.subarray(8))).toBe("ef");
  });
});
