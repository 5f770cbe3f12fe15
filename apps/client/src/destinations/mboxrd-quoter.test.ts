import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MboxrdQuoter } from "./mboxrd-quoter.ts";

const latin1 = (text: string): Uint8Array => Buffer.from(text, "latin1");

/** The slow, obvious reference: split into lines, quote each line that matches `>*From `. */
function reference(text: string): string {
  return text
    .split(/(?<=\n)/)
    .map((line) => (/^>*From /.test(line) ? `>${line}` : line))
    .join("");
}

/** Quotes `text` fed in pieces cut at `cuts` (sorted offsets). */
function quote(text: string, cuts: readonly number[]): string {
  const quoter = new MboxrdQuoter();
  const bytes = latin1(text);
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(quoter.push(bytes.subarray(start, cut)));
    start = cut;
  }
  parts.push(quoter.end());
  return Buffer.concat(parts).toString("latin1");
}

describe("MboxrdQuoter", () => {
  it("quotes exactly like the line-by-line reference, however the input is cut", () => {
    const alphabet = fc.constantFrom(">", "F", "r", "o", "m", " ", "\n", "x", "From ", ">From ");
    const text = fc.array(alphabet, { maxLength: 60 }).map((parts) => parts.join(""));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 6 }), (input, raw) => {
        const cuts = [...new Set(raw.map((n) => n % (input.length + 1)))].sort((a, b) => a - b);
        expect(quote(input, cuts)).toBe(reference(input));
      }),
      { numRuns: 2000 },
    );
  });

  it("is linear: a line of 4 Mi '>' (then From, or not) goes through in one pass", () => {
    // The quoter used to rescan the held-back `>` run for every byte: 256 Ki `>` took 22 s of
    // CPU, 4 Mi would take hours. Counting makes it one step per byte, so this finishes within
    // the test's timeout by a factor of thousands even on a loaded machine.
    const run = ">".repeat(4 * 1024 * 1024);
    for (const tail of ["From x\n", "Fro\n"]) {
      const quoter = new MboxrdQuoter();
      const out = [quoter.push(latin1(run)), quoter.push(latin1(tail)), quoter.end()];
      const total = out.reduce((n, part) => n + part.length, 0);
      expect(total).toBe(run.length + tail.length + (tail.startsWith("From") ? 1 : 0));
    }
    // The same run one byte at a time, as a hostile server might send it.
    const quoter = new MboxrdQuoter();
    const one = latin1(">");
    let total = 0;
    for (let i = 0; i < 256 * 1024; i++) total += quoter.push(one).length;
    expect(total).toBe(0);
    total += quoter.push(latin1("From \n")).length + quoter.end().length;
    expect(total).toBe(256 * 1024 + 1 + 6);
  });
});
