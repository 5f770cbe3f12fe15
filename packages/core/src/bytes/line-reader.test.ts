import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineReader, type LineReadResult } from "./line-reader.ts";

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** What the reader yields, as strings: a line's text, or `!` for a too-long report. */
function drain(reader: LineReader): string[] {
  const out: string[] = [];
  for (let read = reader.next(); read !== null; read = reader.next()) out.push(shown(read));
  return out;
}

function shown(read: LineReadResult): string {
  return read.type === "line" ? text(read.line) : "!";
}

function feed(reader: LineReader, chunks: readonly string[]): string[] {
  const out: string[] = [];
  for (const chunk of chunks) {
    reader.push(latin1(chunk));
    out.push(...drain(reader));
  }
  return out;
}

describe("LineReader", () => {
  it("splits CRLF lines and drops the line ending", () => {
    const reader = new LineReader({ maxOctets: 100 });
    expect(feed(reader, ["USER a\r\nPASS b\r\n"])).toEqual(["USER a", "PASS b"]);
    expect(reader.buffered).toBe(0);
  });

  it("accepts a bare LF as a line ending", () => {
    const reader = new LineReader({ maxOctets: 100 });
    expect(feed(reader, ["STAT\nLIST\r\nNOOP\n"])).toEqual(["STAT", "LIST", "NOOP"]);
  });

  it("returns empty lines, CRLF and bare LF alike", () => {
    const reader = new LineReader({ maxOctets: 100 });
    expect(feed(reader, ["\r\n\n"])).toEqual(["", ""]);
  });

  it("drops only the one CR before the LF", () => {
    const reader = new LineReader({ maxOctets: 100 });
    expect(feed(reader, ["a\r\r\n", "\rb\n"])).toEqual(["a\r", "\rb"]);
  });

  it("keeps a CR that is not before an LF", () => {
    const reader = new LineReader({ maxOctets: 100 });
    expect(feed(reader, ["a\rb\r\n"])).toEqual(["a\rb"]);
  });

  it("waits for the line ending", () => {
    const reader = new LineReader({ maxOctets: 100 });
    expect(feed(reader, ["NO", "OP", "\r"])).toEqual([]);
    expect(reader.buffered).toBe(5);
    expect(feed(reader, ["\n"])).toEqual(["NOOP"]);
    expect(reader.buffered).toBe(0);
  });

  it("ignores an empty chunk", () => {
    const reader = new LineReader({ maxOctets: 100 });
    reader.push(new Uint8Array(0));
    expect(reader.buffered).toBe(0);
    expect(reader.next()).toBeNull();
  });

  it("reads the same lines with the input split at every position", () => {
    const input = "USER mrose\r\nPASS a b\r\n\r\nSTAT\nLIST 1\r\nQUIT\r\n";
    const whole = feed(new LineReader({ maxOctets: 100 }), [input]);
    expect(whole).toEqual(["USER mrose", "PASS a b", "", "STAT", "LIST 1", "QUIT"]);
    for (let at = 0; at <= input.length; at++) {
      for (let second = at; second <= input.length; second++) {
        const chunks = [input.slice(0, at), input.slice(at, second), input.slice(second)];
        expect(feed(new LineReader({ maxOctets: 100 }), chunks), `cut at ${at}, ${second}`).toEqual(
          whole,
        );
      }
    }
  });

  it("reads the same lines fed one byte at a time", () => {
    const input = "CAPA\r\nRETR 1\r\n";
    expect(feed(new LineReader({ maxOctets: 100 }), [...input])).toEqual(["CAPA", "RETR 1"]);
  });

  it("returns a view of the chunk when the line lies within it, and a copy across chunks", () => {
    const reader = new LineReader({ maxOctets: 100 });
    const chunk = latin1("STAT\r\n");
    reader.push(chunk);
    const read = reader.next();
    expect(read?.type === "line" && read.line.buffer).toBe(chunk.buffer);
    reader.push(latin1("NO"));
    reader.push(latin1("OP\r\n"));
    const joined = reader.next();
    expect(joined?.type === "line" && text(joined.line)).toBe("NOOP");
  });

  describe("the line limit (RFC 2449 section 4)", () => {
    it("counts the line ending: a line of exactly maxOctets passes, one more does not", () => {
      const reader = new LineReader({ maxOctets: 10 });
      expect(feed(reader, ["12345678\r\n"])).toEqual(["12345678"]);
      expect(feed(reader, ["123456789\n"])).toEqual(["123456789"]);
      expect(feed(reader, ["123456789\r\n"])).toEqual(["!"]);
      expect(feed(reader, ["next\r\n"])).toEqual(["next"]);
    });

    it("reports a too-long line once, skips it and reads on after it", () => {
      const reader = new LineReader({ maxOctets: 10 });
      expect(feed(reader, ["x".repeat(11)])).toEqual(["!"]);
      expect(reader.buffered).toBe(0);
      expect(feed(reader, ["x".repeat(50), "x".repeat(50)])).toEqual([]);
      expect(reader.buffered).toBe(0);
      expect(feed(reader, ["xx\r\nSTAT\r\n"])).toEqual(["STAT"]);
    });

    it("reports a complete too-long line that arrives in one chunk once", () => {
      const reader = new LineReader({ maxOctets: 10 });
      expect(feed(reader, [`${"x".repeat(30)}\r\nSTAT\r\n`])).toEqual(["!", "STAT"]);
    });

    it("reports a line that reaches the limit only with its CR once its LF arrives", () => {
      const reader = new LineReader({ maxOctets: 10 });
      expect(feed(reader, ["123456789\r"])).toEqual([]);
      expect(feed(reader, ["\nNOOP\r\n"])).toEqual(["!", "NOOP"]);
    });

    it("reports each of two too-long lines", () => {
      const reader = new LineReader({ maxOctets: 10 });
      expect(feed(reader, ["x".repeat(20), "\r\n", "y".repeat(20), "\r\nok\r\n"])).toEqual([
        "!",
        "!",
        "ok",
      ]);
    });

    it("applies a changed limit to the next line", () => {
      const reader = new LineReader({ maxOctets: 10 });
      reader.maxOctets = 100;
      expect(reader.maxOctets).toBe(100);
      expect(feed(reader, [`${"x".repeat(50)}\r\n`])).toEqual(["x".repeat(50)]);
      reader.maxOctets = 10;
      expect(feed(reader, [`${"x".repeat(50)}\r\n`])).toEqual(["!"]);
    });

    it("never holds more than maxOctets plus one chunk (property)", () => {
      const piece = fc.oneof(
        fc.constantFrom("\r\n", "\n", "\r", "a", "abcdefgh"),
        fc.string({ unit: fc.constantFrom("x", " ", "\r"), maxLength: 64 }),
      );
      const chunks = fc.array(
        fc.array(piece, { maxLength: 8 }).map((parts) => parts.join("")),
        {
          maxLength: 30,
        },
      );
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 40 }), chunks, (maxOctets, input) => {
          const reader = new LineReader({ maxOctets });
          for (const chunk of input) {
            reader.push(latin1(chunk));
            expect(reader.buffered).toBeLessThanOrEqual(maxOctets + chunk.length);
            for (let read = reader.next(); read !== null; read = reader.next()) {
              if (read.type === "line") expect(read.line.length).toBeLessThan(maxOctets);
            }
            expect(reader.buffered).toBeLessThanOrEqual(maxOctets);
          }
        }),
        { seed: 20261126, numRuns: 500 },
      );
    });

    it("yields the same lines and reports, however the input is cut (property)", () => {
      const piece = fc.oneof(
        fc.constantFrom("\r\n", "\n", "\r", "STAT", "LIST 1"),
        fc.string({ unit: fc.constantFrom("x", " "), maxLength: 30 }),
      );
      const input = fc.array(piece, { maxLength: 20 }).map((parts) => parts.join(""));
      fc.assert(
        fc.property(input, fc.array(fc.nat(), { maxLength: 6 }), (whole, cuts) => {
          const sorted = cuts.map((cut) => cut % (whole.length + 1)).sort((a, b) => a - b);
          const chunks: string[] = [];
          let start = 0;
          for (const cut of [...sorted, whole.length]) {
            chunks.push(whole.slice(start, cut));
            start = cut;
          }
          // Only complete lines are compared: a trailing partial line may still be too long.
          const terminated = `${whole}\n`;
          chunks[chunks.length - 1] += "\n";
          expect(feed(new LineReader({ maxOctets: 16 }), chunks)).toEqual(
            feed(new LineReader({ maxOctets: 16 }), [terminated]),
          );
        }),
        { seed: 20261126, numRuns: 500 },
      );
    });
  });

  describe("takeRest", () => {
    it("returns everything buffered, across chunks, and empties the reader", () => {
      const reader = new LineReader({ maxOctets: 100 });
      reader.push(latin1("STLS\r\nCA"));
      reader.push(latin1("PA\r\nUSER x\r\n"));
      expect(reader.next()).toEqual({ type: "line", line: latin1("STLS") });
      expect(text(reader.takeRest())).toBe("CAPA\r\nUSER x\r\n");
      expect(reader.buffered).toBe(0);
      expect(reader.next()).toBeNull();
    });

    it("returns nothing when nothing is buffered", () => {
      expect(new LineReader({ maxOctets: 10 }).takeRest()).toEqual(new Uint8Array(0));
    });

    it("ends the skipping of a too-long line: what comes next is a new line", () => {
      const reader = new LineReader({ maxOctets: 10 });
      expect(feed(reader, ["x".repeat(20)])).toEqual(["!"]);
      reader.takeRest();
      expect(feed(reader, ["NOOP\r\n"])).toEqual(["NOOP"]);
    });
  });
});
