import { describe, expect, it } from "vitest";
import { bytes, caught, eachSplit, latin1, split } from "../../test/helpers/octets.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { MultilineEncoder } from "./multiline-encoder.ts";

/** Encodes `chunks` one after another, then `end()`, and returns the whole wire text. */
function encode(chunks: Uint8Array[], options: { bodyLines?: number } = {}): string {
  const encoder = new MultilineEncoder(options);
  return latin1(...chunks.map((chunk) => encoder.encode(chunk)), encoder.end());
}

const highBytes = latin1(Uint8Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 10));
const longLine = "0123456789".repeat(200);

// [behaviour, stored message, wire bytes] for RETR (RFC 1939 section 3).
const retrRows: [string, string, string][] = [
  ["sends an empty message as the terminator alone", "", ".\r\n"],
  ["turns bare LF line endings into CRLF", "a\nb\n", "a\r\nb\r\n.\r\n"],
  ["keeps CRLF line endings as they are", "a\r\nb\r\n", "a\r\nb\r\n.\r\n"],
  ["closes a last line that has no line ending", "a\nb", "a\r\nb\r\n.\r\n"],
  ["keeps empty lines", "\n\r\n\n", "\r\n\r\n\r\n.\r\n"],
  ["stuffs a line that begins with a dot", ".a\n", "..a\r\n.\r\n"],
  ["stuffs a line that is only a dot", ".\n", "..\r\n.\r\n"],
  ["stuffs a line of two dots once more", "..\r\n", "...\r\n.\r\n"],
  ["stuffs the first line and a last line without ending", ".x\r\n.y", "..x\r\n..y\r\n.\r\n"],
  ["leaves a dot inside a line alone", "a.b\n.\t.\n", "a.b\r\n..\t.\r\n.\r\n"],
  ["keeps a CR that is not before an LF as data", "a\rb\n", "a\rb\r\n.\r\n"],
  ["does not stuff a dot that follows a lone CR", "\r.\r\n", "\r.\r\n.\r\n"],
  ["takes only the CR right before an LF as part of the ending", "a\r\r\n", "a\r\r\n.\r\n"],
  ["closes a message that ends in a lone CR", "a\r", "a\r\r\n.\r\n"],
  ["passes 8-bit and NUL bytes through", `${highBytes}\n`, `${highBytes}\r\n.\r\n`],
  [
    "sends a 2000-character line whole",
    `${longLine}\n.${longLine}`,
    `${longLine}\r\n..${longLine}\r\n.\r\n`,
  ],
  ["stuffs every dot line of a long message", ".a\n".repeat(40), `${"..a\r\n".repeat(40)}.\r\n`],
];

describe("MultilineEncoder for RETR", () => {
  eachSplit(retrRows, {
    input: ([, message]) => bytes(message),
    run: (chunks) => encode(chunks),
    expected: ([, , wire]) => wire,
  });

  it("handles CR and LF in separate chunks as one CRLF", () => {
    expect(encode([bytes("a\r"), bytes("\nb")])).toBe("a\r\nb\r\n.\r\n");
    expect(encode([bytes("a\r"), bytes("\r"), bytes("\n")])).toBe("a\r\r\n.\r\n");
  });

  it("stuffs a dot that starts the next chunk after a line ending", () => {
    expect(encode([bytes("a\n"), bytes(".b\n")])).toBe("a\r\n..b\r\n.\r\n");
    expect(encode([bytes("a\r\n"), bytes("."), bytes("\n")])).toBe("a\r\n..\r\n.\r\n");
  });

  it("reads chunks at any byte offset of a larger buffer", () => {
    const message = `${".dot line\n".repeat(8)}plain line that is long enough\r\n`;
    const wire = encode([bytes(message)]);
    for (let offset = 0; offset < 8; offset++) {
      const backing = new Uint8Array(offset + message.length + 8);
      backing.set(bytes(message), offset);
      expect(encode([backing.subarray(offset, offset + message.length)])).toBe(wire);
    }
  });

  it("grows its output for a chunk of nothing but line endings and dots", () => {
    const message = ".\n".repeat(1000);
    expect(encode([bytes(message)])).toBe(`${"..\r\n".repeat(1000)}.\r\n`);
    expect(encode([bytes("\n".repeat(1000))])).toBe(`${"\r\n".repeat(1000)}.\r\n`);
  });

  it("returns nothing for an empty chunk", () => {
    const encoder = new MultilineEncoder();
    expect(encoder.encode(new Uint8Array(0))).toHaveLength(0);
    expect(latin1(encoder.end())).toBe(".\r\n");
  });

  it("returns a fresh array for every chunk", () => {
    const encoder = new MultilineEncoder();
    const first = encoder.encode(bytes("first line of the message\n"));
    const second = encoder.encode(bytes("second line of the message\n"));
    expect(latin1(first)).toBe("first line of the message\r\n");
    expect(latin1(second)).toBe("second line of the message\r\n");
    expect(first.buffer).not.toBe(second.buffer);
  });

  it("is never done", () => {
    const encoder = new MultilineEncoder();
    encoder.encode(bytes("a\n\nb\n"));
    expect(encoder.done).toBe(false);
  });
});

// [behaviour, stored message, body lines, wire bytes, done] for TOP (RFC 1939 section 7).
const topRows: [string, string, number, string, boolean][] = [
  [
    "sends the headers, the empty line and n body lines",
    "A: 1\nB: 2\n\nl1\nl2\nl3\n",
    2,
    "A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n.\r\n",
    true,
  ],
  [
    "sends the headers and the empty line alone for 0 lines",
    "A: 1\nB: 2\n\nl1\nl2\n",
    0,
    "A: 1\r\nB: 2\r\n\r\n.\r\n",
    true,
  ],
  [
    "sends the whole message when the body is shorter than n",
    "A: 1\n\nl1\nl2\n",
    10,
    "A: 1\r\n\r\nl1\r\nl2\r\n.\r\n",
    false,
  ],
  [
    "treats a message without an empty line as all header",
    "A: 1\nB: 2\n",
    0,
    "A: 1\r\nB: 2\r\n.\r\n",
    false,
  ],
  ["recognises a CRLF empty line", "A: 1\r\n\r\nl1\r\nl2\r\n", 1, "A: 1\r\n\r\nl1\r\n.\r\n", true],
  [
    "does not take a line holding a lone CR for the empty line",
    "A: 1\n\r\r\nB: 2\n\nl1\n",
    0,
    "A: 1\r\n\r\r\nB: 2\r\n\r\n.\r\n",
    true,
  ],
  [
    "counts empty body lines and stuffed body lines like any other",
    "H: x\n\n\n.a\nb\n",
    2,
    "H: x\r\n\r\n\r\n..a\r\n.\r\n",
    true,
  ],
  ["closes an unterminated last body line", "H: x\n\nbody", 1, "H: x\r\n\r\nbody\r\n.\r\n", false],
  ["sends an empty message as the terminator alone", "", 3, ".\r\n", false],
  ["ends at the empty line when the message is only that", "\n", 0, "\r\n.\r\n", true],
];

describe("MultilineEncoder for TOP", () => {
  it.each(topRows)("%s", (_, message, bodyLines, wire, done) => {
    const encoder = new MultilineEncoder({ bodyLines });
    const sent = latin1(encoder.encode(bytes(message)));
    expect(encoder.done).toBe(done);
    expect(sent + latin1(encoder.end())).toBe(wire);
  });

  it.each(topRows)("%s, split at every offset", (_, message, bodyLines, wire) => {
    const input = bytes(message);
    for (let cut = 0; cut <= input.length; cut++) {
      expect(encode(split(input, [cut]), { bodyLines })).toBe(wire);
    }
    expect(encode(split(input, [...input.keys()]), { bodyLines })).toBe(wire);
  });

  it("ignores input once the last line has been sent", () => {
    const encoder = new MultilineEncoder({ bodyLines: 1 });
    expect(latin1(encoder.encode(bytes("H: x\n\nl1\nl2")))).toBe("H: x\r\n\r\nl1\r\n");
    expect(encoder.done).toBe(true);
    expect(encoder.encode(bytes("more\n.\n"))).toHaveLength(0);
    expect(latin1(encoder.end())).toBe(".\r\n");
  });

  it("becomes done in the middle of a long chunk", () => {
    const body = "a body line that is long enough for the word path\n".repeat(50);
    const encoder = new MultilineEncoder({ bodyLines: 3 });
    const sent = latin1(encoder.encode(bytes(`Subject: x\n\n${body}`)));
    expect(encoder.done).toBe(true);
    expect(sent).toBe(
      `Subject: x\r\n\r\n${"a body line that is long enough for the word path\r\n".repeat(3)}`,
    );
  });

  it.each([-1, 1.5, Number.NaN])("refuses %s body lines", (bodyLines) => {
    const error = caught(() => new MultilineEncoder({ bodyLines }));
    expect(LocalProtocolError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "invalid-argument" });
  });
});
