import { describe, expect, it } from "vitest";
import { bytes, caught, eachSplit, latin1, split } from "../../test/helpers/octets.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { MultilineDecoder } from "./multiline-decoder.ts";

/** Feeds `chunks` until the block ends; returns the message, whether it ended, and what follows. */
function decode(chunks: Uint8Array[]): { message: string; end: boolean; rest: string } {
  const decoder = new MultilineDecoder();
  let message = "";
  for (const [index, chunk] of chunks.entries()) {
    const result = decoder.push(chunk);
    message += latin1(...result.data);
    if (result.end)
      return { message, end: true, rest: latin1(result.rest, ...chunks.slice(index + 1)) };
    expect(result.rest).toHaveLength(0);
  }
  return { message, end: false, rest: "" };
}

const highBytes = latin1(
  Uint8Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 10 && b !== 13),
);
const longLine = "0123456789".repeat(200);

// [behaviour, wire bytes after the status line, message, bytes after the block]
const rows: [string, string, string, string][] = [
  ["ends at a line that is only a dot, even as the first line", ".\r\n", "", ""],
  ["keeps CRLF line endings as received", "a\r\nb\r\n.\r\n", "a\r\nb\r\n", ""],
  ["keeps empty lines", "\r\n\r\n.\r\n", "\r\n\r\n", ""],
  ["removes the stuffing dot from a line", "..a\r\n.\r\n", ".a\r\n", ""],
  ["turns a stuffed dot line back into a dot line", "..\r\n.\r\n", ".\r\n", ""],
  ["removes only one dot from a line of three", "...\r\n.\r\n", "..\r\n", ""],
  ["removes the dot from a line of a dot and a space", ". \r\n.\r\n", " \r\n", ""],
  ["leaves a dot inside a line alone", "a.b.\r\n.\r\n", "a.b.\r\n", ""],
  ["returns the bytes after the terminator as rest", "a\r\n.\r\n+OK 2\r\n", "a\r\n", "+OK 2\r\n"],
  ["treats a bare LF as data, not a line ending", "a\n.\r\nb\r\n.\r\n", "a\n.\r\nb\r\n", ""],
  ["does not unstuff a dot after a bare LF", "a\n..\r\n.\r\n", "a\n..\r\n", ""],
  ["does not end at a dot followed by a bare LF", ".\n.\r\n.\r\n", "\n.\r\n", ""],
  ["does not end at a dot after a lone CR", "\r.\r\n.\r\n", "\r.\r\n", ""],
  ["removes the dot from a line of a dot, a CR and more", ".\rx\r\n.\r\n", "\rx\r\n", ""],
  ["keeps a CR before CRLF as data", "a\r\r\n.\r\n", "a\r\r\n", ""],
  ["passes 8-bit and NUL bytes through", `${highBytes}\r\n.\r\n`, `${highBytes}\r\n`, ""],
  [
    "reads a 2000-character line whole",
    `${longLine}\r\n..${longLine}\r\n.\r\n`,
    `${longLine}\r\n.${longLine}\r\n`,
    "",
  ],
  [
    "unstuffs every dot line of a long block",
    `${"..a\r\n".repeat(40)}.\r\n`,
    ".a\r\n".repeat(40),
    "",
  ],
];

describe("MultilineDecoder", () => {
  eachSplit(rows, {
    input: ([, wire]) => bytes(wire),
    run: (chunks) => decode(chunks),
    expected: ([, , message, rest]) => ({ message, end: true, rest }),
  });

  it.each(rows)("%s, split in three at every pair of offsets", (_, wire, message, rest) => {
    const input = bytes(wire);
    if (input.length > 64) return;
    for (let first = 0; first <= input.length; first++) {
      for (let second = first; second <= input.length; second++) {
        expect(decode(split(input, [first, second]))).toEqual({ message, end: true, rest });
      }
    }
  });

  it("waits for the whole terminator line", () => {
    const decoder = new MultilineDecoder();
    const steps = ["a\r", "\n", ".", "\r", "\n"].map((chunk) => decoder.push(bytes(chunk)));
    expect(steps.map((step) => [latin1(...step.data), step.end])).toEqual([
      ["a\r", false],
      ["\n", false],
      ["", false],
      ["", false],
      ["", true],
    ]);
  });

  it("delivers the CR held after a stuffing dot once the next chunk shows it is data", () => {
    const decoder = new MultilineDecoder();
    expect(latin1(...decoder.push(bytes("a\r\n.\r")).data)).toBe("a\r\n");
    expect(latin1(...decoder.push(bytes("x\r\n")).data)).toBe("\rx\r\n");
    expect(decoder.push(bytes(".\r\n")).end).toBe(true);
  });

  it("does not end without a terminator", () => {
    expect(decode([bytes("a\r\n..\r\nb")])).toEqual({
      message: "a\r\n.\r\nb",
      end: false,
      rest: "",
    });
    expect(decode([bytes("a\r\n.")])).toEqual({ message: "a\r\n", end: false, rest: "" });
    expect(decode([bytes("a\r\n.\r")])).toEqual({ message: "a\r\n", end: false, rest: "" });
  });

  it("delivers a chunk with nothing to remove as the chunk itself", () => {
    const chunk = bytes("a line of text. Another sentence.\r\n");
    const { data } = new MultilineDecoder().push(chunk);
    expect(data).toHaveLength(1);
    expect(data[0]).toBe(chunk);
  });

  it("delivers views of the input around a stuffing dot, not copies", () => {
    const chunk = bytes("one\r\n..two\r\n.\r\nrest");
    const { data, rest } = new MultilineDecoder().push(chunk);
    expect(data.map((part) => latin1(part))).toEqual(["one\r\n", ".two\r\n"]);
    for (const part of [...data, rest]) expect(part.buffer).toBe(chunk.buffer);
  });

  it("reads chunks at any byte offset of a larger buffer", () => {
    const wire = `${"..dot line\r\nplain line that is long enough\r\n".repeat(4)}.\r\n`;
    const expected = decode([bytes(wire)]);
    for (let offset = 0; offset < 8; offset++) {
      const backing = new Uint8Array(offset + wire.length + 8);
      backing.set(bytes(wire), offset);
      expect(decode([backing.subarray(offset, offset + wire.length)])).toEqual(expected);
    }
  });

  it("counts the unstuffed octets delivered", () => {
    const decoder = new MultilineDecoder();
    decoder.push(bytes("..ab\r\n"));
    expect(decoder.octets).toBe(5);
    decoder.push(bytes("."));
    expect(decoder.octets).toBe(5);
    decoder.push(bytes("\rx\r\n.\r\nnext"));
    expect(decoder.octets).toBe(9);
  });

  it("returns nothing for an empty chunk", () => {
    const decoder = new MultilineDecoder();
    decoder.push(bytes("a\r\n."));
    expect(decoder.push(new Uint8Array(0))).toEqual({
      data: [],
      end: false,
      rest: new Uint8Array(0),
    });
    expect(decoder.push(bytes("\r\n")).end).toBe(true);
  });

  it("refuses more input once the block has ended", () => {
    const decoder = new MultilineDecoder();
    decoder.push(bytes(".\r\n"));
    const error = caught(() => decoder.push(bytes("+OK\r\n")));
    expect(LocalProtocolError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "invalid-state" });
  });
});
