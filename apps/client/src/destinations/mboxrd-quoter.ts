/**
 * mboxrd quoting, streamed: every line that matches `>*From ` gets one more `>` in front, so
 * a reader can tell message lines from the `From ` lines that separate messages, and undo
 * the quoting exactly by removing one `>` (the "mboxrd" variant; the older "mboxo" quotes
 * only `From ` and cannot be undone).
 *
 * Works on LF line endings. Only the start of a line is ever held back, and only while it
 * can still become `>*From `: as a count of `>` and how much of `From ` followed, never as
 * bytes. Each input byte is looked at once, so the time is linear in the input, whatever a
 * hostile server sends (a line of a million `>` costs a million steps, not a million squared),
 * and the memory is constant.
 */
export class MboxrdQuoter {
  #atLineStart = true;
  /** The `>` run at the start of the current line, held back. */
  #quotes = 0;
  /** How many octets of `From ` followed that run, held back. */
  #fromMatched = 0;

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
      if (this.#fromMatched === 0 && chunk[i] === GT) {
        // A run of `>`: counted in one step however long.
        let end = i;
        while (end < chunk.length && chunk[end] === GT) end++;
        this.#quotes += end - i;
        i = end;
        continue;
      }
      const byte = chunk[i++] as number;
      if (byte === FROM_[this.#fromMatched]) {
        this.#fromMatched++;
        if (this.#fromMatched === FROM_.length) {
          // `>*From `: one more `>`, then the line as it was.
          out.push(this.#held(1));
          this.#atLineStart = false;
        }
        continue;
      }
      out.push(this.#held(0), Uint8Array.of(byte));
      this.#atLineStart = byte === LF;
    }
    return concat(out);
  }

  /** The end of the message: a held-back line start was not `>*From `. */
  end(): Uint8Array {
    const rest = this.#held(0);
    this.#atLineStart = true;
    return rest;
  }

  /** The held-back line start (with `extra` more `>` in front), and forgets it. */
  #held(extra: number): Uint8Array {
    const quotes = this.#quotes + extra;
    const bytes = new Uint8Array(quotes + this.#fromMatched);
    bytes.fill(GT, 0, quotes);
    bytes.set(FROM_.subarray(0, this.#fromMatched), quotes);
    this.#quotes = 0;
    this.#fromMatched = 0;
    return bytes;
  }
}

const LF = 0x0a;
const GT = 0x3e;
const FROM_ = Uint8Array.of(0x46, 0x72, 0x6f, 0x6d, 0x20); // "From "

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  return Buffer.concat(parts);
}
