import { expect, it } from "vitest";

/** Octets from a string of char codes 0-255 (latin1), so tests can spell any byte. */
export function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

/** The latin1 string of some octets, for readable failures. */
export function latin1(...parts: Uint8Array[]): string {
  let text = "";
  for (const part of parts) for (const byte of part) text += String.fromCharCode(byte);
  return text;
}

/** What `action` throws. */
export function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

/** `input` cut at `cuts` (ascending offsets). */
export function split(input: Uint8Array, cuts: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, input.length]) {
    pieces.push(input.subarray(start, cut));
    start = cut;
  }
  return pieces;
}

/**
 * For every row (`[behaviour, ...]`), three tests: the row's input as one chunk
 * (`behaviour`), cut in two at every offset (`behaviour, split at every offset`), and one
 * byte at a time (`behaviour, one byte at a time`). `check` gets the chunks and the row and
 * returns what must equal `expected(row)`.
 */
export function eachSplit<Row extends [string, ...unknown[]]>(
  rows: Row[],
  options: {
    input: (row: Row) => Uint8Array;
    run: (chunks: Uint8Array[], row: Row) => unknown;
    expected: (row: Row) => unknown;
  },
): void {
  const { input, run, expected } = options;
  it.each(rows)("%s", (...row) => {
    expect(run([input(row as Row)], row as Row)).toEqual(expected(row as Row));
  });
  it.each(rows)("%s, split at every offset", (...row) => {
    const whole = input(row as Row);
    for (let cut = 0; cut <= whole.length; cut++) {
      expect(run(split(whole, [cut]), row as Row)).toEqual(expected(row as Row));
    }
  });
  it.each(rows)("%s, one byte at a time", (...row) => {
    const whole = input(row as Row);
    expect(run(split(whole, [...whole.keys()]), row as Row)).toEqual(expected(row as Row));
  });
}
