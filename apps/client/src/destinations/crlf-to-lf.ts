/**
 * Turns the CRLF line endings of a message as POP3 delivers it (RFC 1939 section 3) into the
 * LF endings Unix mail files use: Postfix, procmail and Dovecot store Maildir and mbox files
 * with LF, and mail readers expect it. Only the pair CR LF becomes LF; a CR elsewhere is
 * message content and stays. A CR at the end of a chunk is held back until the next chunk
 * says whether an LF follows.
 */
export class CrlfToLf {
  #heldCr = false;

  /** Converts one chunk; the result may be one byte shorter or longer than a plain copy. */
  push(chunk: Uint8Array): Uint8Array {
    // An empty chunk says nothing about a held CR.
    const n = chunk.length;
    if (n === 0) return chunk;
    const out = new Uint8Array(n + 1);
    let length = 0;
    if (this.#heldCr) {
      this.#heldCr = false;
      if (chunk[0] !== LF) out[length++] = CR;
    }
    // The whole chunk is copied once (a memcpy), then each line is moved down over the CR
    // that ended the line before it: indexOf and copyWithin run as native loops, several
    // times faster than deciding byte by byte, and nothing is allocated per line.
    const shift = length;
    out.set(chunk, shift);
    let from = 0;
    for (let cr = chunk.indexOf(CR); cr !== -1; cr = chunk.indexOf(CR, cr + 1)) {
      const last = cr + 1 === n;
      if (!last && chunk[cr + 1] !== LF) continue;
      if (length !== shift + from) out.copyWithin(length, shift + from, shift + cr);
      length += cr - from;
      from = cr + 1;
      if (last) this.#heldCr = true;
    }
    if (from < n) {
      if (length !== shift + from) out.copyWithin(length, shift + from, shift + n);
      length += n - from;
    }
    return out.subarray(0, length);
  }

  /** The end of the message: a CR still held back was content. */
  end(): Uint8Array {
    if (!this.#heldCr) return new Uint8Array(0);
    this.#heldCr = false;
    return Uint8Array.of(CR);
  }
}

const CR = 0x0d;
const LF = 0x0a;
