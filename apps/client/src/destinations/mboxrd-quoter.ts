/**
 * mboxrd quoting, streamed: every line that matches `>*From ` gets one more `>` in front, so
 * a reader can tell message lines from the `From ` lines that separate messages, and undo
 * the quoting exactly by removing one `>` (the "mboxrd" variant; the older "mboxo" quotes
 * only `From ` and cannot be undone).
 *
 * Works on LF line endings. Only the start of a line is ever held back, and only while it
 * can still become `>*From ` (a run of `>` then part of `From `), so memory stays small
 * whatever the line lengths.
 */
export class MboxrdQuoter {
  #atLineStart = true;
  #pending: number[] = [];

  push(chunk: Uint8Array): Uint8Array {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (!this.#atLineStart) {
        // Copy up to and including the next LF in one piece.
        const lf = chunk.indexOf(LF, i);
        const end = lf === -1 ? chunk.length : lf + 1;
        out.push(chunk.subarray(i, end));
        i = end;
        this.#atLineStart = lf !== -1;
        continue;
      }
      const byte = chunk[i++] as number;
      this.#pending.push(byte);
      const verdict = classify(this.#pending);
      if (verdict === "undecided") continue;
      if (verdict === "quote") out.push(Uint8Array.of(GT));
      out.push(Uint8Array.from(this.#pending));
      this.#pending = [];
      this.#atLineStart = byte === LF;
    }
    return concat(out);
  }

  /** The end of the message: a held-back line start was not `>*From `. */
  end(): Uint8Array {
    const rest = Uint8Array.from(this.#pending);
    this.#pending = [];
    this.#atLineStart = true;
    return rest;
  }
}

const LF = 0x0a;
const GT = 0x3e;
const FROM_ = [0x46, 0x72, 0x6f, 0x6d, 0x20]; // "From "

function classify(start: readonly number[]): "quote" | "plain" | "undecided" {
  let k = 0;
  while (k < start.length && start[k] === GT) k++;
  const matched = start.length - k;
  for (let j = 0; j < matched; j++) if (start[k + j] !== FROM_[j]) return "plain";
  return matched === FROM_.length ? "quote" : "undecided";
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  return Buffer.concat(parts);
}
