import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MultilineDecoder } from "./multiline-decoder.ts";
import { multilineEncodeKernel } from "./multiline-encode-kernel.ts";
import { MultilineEncoder } from "./multiline-encoder.ts";
import { WireSizeCounter, wireSize } from "./wire-size.ts";

// A fixed seed, so a failure replays; fast-check prints the seed and the shrunk counterexample.
const SEED = 424242;
const RUNS = 500;

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/** `input` cut at the given offsets (any order, any count, clamped to its length). */
function split(input: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const sorted = cuts.map((cut) => cut % (input.length + 1)).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...sorted, input.length]) {
    pieces.push(input.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

// Bytes biased toward the ones that matter here: ".", CR and LF alone and in the sequences that
// end or stuff lines, among arbitrary octets and runs long enough for the word-at-a-time paths.
const piece = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(".", "\r", "\n", "\r\n", "..", "\r\n.", ".\r\n") },
  { weight: 2, arbitrary: fc.constantFrom("\r\n.\r\n", "\n.\n", "\r.\r\n", "\r\r\n", ".\r") },
  { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom("a", "b", " ", ":"), maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 24 }).map((octets) => String.fromCharCode(...octets)),
  },
);
const message = fc.array(piece, { maxLength: 60 }).map((pieces) => bytes(pieces.join("")));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

interface Line {
  /** The line without its ending. */
  content: Uint8Array;
  /** Whether an LF ended it (a last line may have none). */
  ended: boolean;
}

/** The lines of a stored message, by the rules `MultilineEncoder` documents, the slow way. */
function linesOf(input: Uint8Array): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== LF) continue;
    const end = i > start && input[i - 1] === CR ? i - 1 : i;
    lines.push({ content: input.subarray(start, end), ended: true });
    start = i + 1;
  }
  if (start < input.length) lines.push({ content: input.subarray(start), ended: false });
  return lines;
}

/** What RETR (or TOP with `bodyLines`) must send for `input`, built line by line. */
function referenceEncode(
  input: Uint8Array,
  bodyLines?: number,
): { wire: Uint8Array; done: boolean } {
  let lines = linesOf(input);
  let done = false;
  if (bodyLines !== undefined) {
    const empty = lines.findIndex((line) => line.ended && line.content.length === 0);
    if (empty !== -1) {
      const last = lines[empty + bodyLines];
      done = last?.ended === true;
      lines = lines.slice(0, empty + 1 + bodyLines);
    }
  }
  const wire: number[] = [];
  for (const line of lines) {
    if (line.content[0] === DOT) wire.push(DOT);
    for (const octet of line.content) wire.push(octet);
    wire.push(CR, LF);
  }
  wire.push(DOT, CR, LF);
  return { wire: Uint8Array.from(wire), done };
}

/** What the client must read from `wire`: CRLF lines, unstuffed, up to the "." line. */
function referenceDecode(wire: Uint8Array): { data: Uint8Array; end: boolean; rest: Uint8Array } {
  const data: number[] = [];
  let start = 0;
  for (;;) {
    let end = start;
    while (end + 1 < wire.length && !(wire[end] === CR && wire[end + 1] === LF)) end++;
    if (end + 1 >= wire.length) break;
    const line = wire.subarray(start, end);
    if (line.length === 1 && line[0] === DOT) {
      return { data: Uint8Array.from(data), end: true, rest: wire.subarray(end + 2) };
    }
    data.push(...(line[0] === DOT ? line.subarray(1) : line), CR, LF);
    start = end + 2;
  }
  // An unfinished last line is delivered as far as it can be told apart from the terminator.
  const tail = wire.subarray(start);
  if (tail[0] !== DOT) data.push(...tail);
  else if (!(tail.length === 1 || (tail.length === 2 && tail[1] === CR)))
    data.push(...tail.subarray(1));
  return { data: Uint8Array.from(data), end: false, rest: new Uint8Array(0) };
}

function encodeChunks(chunks: readonly Uint8Array[], bodyLines?: number) {
  const encoder = new MultilineEncoder(bodyLines === undefined ? {} : { bodyLines });
  const parts = chunks.map((chunk) => encoder.encode(chunk));
  const done = encoder.done;
  parts.push(encoder.end());
  return { wire: concat(parts), done };
}

function decodeChunks(chunks: readonly Uint8Array[]) {
  const decoder = new MultilineDecoder();
  const data: Uint8Array[] = [];
  for (const [index, chunk] of chunks.entries()) {
    const result = decoder.push(chunk);
    data.push(...result.data);
    if (result.end) {
      return {
        data: concat(data),
        end: true,
        rest: concat([result.rest, ...chunks.slice(index + 1)]),
        octets: decoder.octets,
      };
    }
  }
  return { data: concat(data), end: false, rest: new Uint8Array(0), octets: decoder.octets };
}

/** The message as RFC 1939 delivers it: every line ended by CRLF. */
function normalised(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const line of linesOf(input)) out.push(...line.content, CR, LF);
  return Uint8Array.from(out);
}

describe("multi-line block properties", () => {
  it("encodes like the line-by-line reference, however the message is split", () => {
    fc.assert(
      fc.property(message, cuts, (input, at) => {
        expect(encodeChunks(split(input, at)).wire).toEqual(referenceEncode(input).wire);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  describe("large chunks (the WebAssembly kernel's), mixed with small ones", () => {
    // RETR chunks of 4 KiB and more go through the kernel, a chunk of up to 256 KiB in one
    // call, a larger one slice by slice; few cuts leave mostly large chunks, and the small
    // ones between them take the JavaScript loop.
    const large = fc
      .tuple(
        fc.array(piece, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 4096, max: 600_000 }),
      )
      .map(([pieces, size]) => {
        const unit = bytes(pieces.join("") || "x");
        const whole = new Uint8Array(size);
        for (let at = 0; at < size; at += unit.length) whole.set(unit.subarray(0, size - at), at);
        return whole;
      });
    // Compared as text: deep equality of arrays this long is slow.
    const latin1 = (octets: Uint8Array): string => Buffer.from(octets).toString("latin1");

    for (const reuseOutput of [false, true]) {
      it(`encodes like the reference${reuseOutput ? ", each result copied before the next (reuseOutput)" : ""}`, () => {
        expect(multilineEncodeKernel()).not.toBeNull();
        fc.assert(
          fc.property(large, fc.array(fc.nat(), { maxLength: 3 }), (input, at) => {
            const encoder = new MultilineEncoder({ reuseOutput });
            const parts: Uint8Array[] = split(input, at).map((chunk) =>
              encoder.encode(chunk).slice(),
            );
            parts.push(encoder.end());
            expect(latin1(concat(parts))).toBe(latin1(referenceEncode(input).wire));
          }),
          { seed: SEED, numRuns: 50 },
        );
        // 50 inputs of up to 600 kB through the JavaScript reference: some 20 s on a loaded
        // 2-core machine, the default timeout, which one clean-clone run overran. The time is
        // the work's, not something this test measures.
      }, 120_000);
    }
  });

  it("sends wireSize octets plus the stuffing dots and the terminator", () => {
    fc.assert(
      fc.property(message, (input) => {
        const lines = linesOf(input);
        const stuffed = lines.filter((line) => line.content[0] === DOT).length;
        const unterminated = lines.at(-1)?.ended === false ? 2 : 0;
        const { wire } = encodeChunks([input]);
        expect(wire.length).toBe(wireSize(input) + stuffed + unterminated + 3);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("counts the same wire size however the message is split", () => {
    fc.assert(
      fc.property(message, cuts, (input, at) => {
        const counter = new WireSizeCounter();
        for (const chunk of split(input, at)) counter.update(chunk);
        expect(counter.size).toBe(wireSize(input));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("round-trips: decoding the encoding gives the message with CRLF line endings", () => {
    fc.assert(
      fc.property(message, cuts, cuts, (input, encodeAt, decodeAt) => {
        const { wire } = encodeChunks(split(input, encodeAt));
        const decoded = decodeChunks(split(wire, decodeAt));
        const expected = normalised(input);
        expect(decoded.end).toBe(true);
        expect(decoded.rest).toHaveLength(0);
        expect(decoded.data).toEqual(expected);
        expect(decoded.octets).toBe(expected.length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("decodes any bytes like the line-by-line reference, however they are split", () => {
    // Arbitrary wire bytes, then a terminator so most blocks end, then the next response.
    const wireBlock = fc
      .tuple(message, fc.boolean(), message)
      .map(([body, terminate, after]) =>
        terminate ? concat([body, bytes("\r\n.\r\n"), after]) : body,
      );
    fc.assert(
      fc.property(wireBlock, cuts, (wire, at) => {
        const expected = referenceDecode(wire);
        const decoded = decodeChunks(split(wire, at));
        expect(decoded.data).toEqual(expected.data);
        expect(decoded.end).toBe(expected.end);
        expect(decoded.rest).toEqual(expected.rest);
        expect(decoded.octets).toBe(expected.data.length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("decodes the same fed one byte at a time as fed whole", () => {
    fc.assert(
      fc.property(message, (wire) => {
        const bytewise = decodeChunks(split(wire, [...wire.keys()]));
        expect(bytewise).toEqual(decodeChunks([wire]));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("encodes TOP n as the headers, the empty line and n body lines", () => {
    // Header-like lines, an empty line most of the time, then body lines.
    const topMessage = fc
      .tuple(message, fc.constantFrom("\n\n", "\r\n\r\n", "\n\r\n", ""), message)
      .map(([headers, separator, body]) => concat([headers, bytes(separator), body]));
    fc.assert(
      fc.property(topMessage, fc.nat({ max: 12 }), cuts, (input, bodyLines, at) => {
        const expected = referenceEncode(input, bodyLines);
        const actual = encodeChunks(split(input, at), bodyLines);
        expect(actual.wire).toEqual(expected.wire);
        expect(actual.done).toBe(expected.done);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
