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
    if (chunk.length === 0) return chunk;
    const out = new Uint8Array(chunk.length + 1);
    let length = 0;
    let i = 0;
    if (this.#heldCr) {
      this.#heldCr = false;
      if (chunk[0] !== LF) out[length++] = CR;
    }
    for (; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === CR) {
        if (i + 1 === chunk.length) {
          this.#heldCr = true;
          continue;
        }
        if (chunk[i + 1] === LF) continue;
      }
      out[length++] = byte;
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
