/**
 * Turns the CRLF line endings of a message as POP3 delivers it (RFC 1939 section 3) into the
 * LF endings Unix mail files use: Postfix, procmail and Dovecot store Maildir and mbox files
 * with LF, and mail readers expect it. Only the pair CR LF becomes LF; a CR elsewhere is
 * message content and stays. A CR at the end of a chunk is held back until the next chunk
 * says whether an LF follows.
 *
 * The conversion is done in place: the output is never longer than the input, so each line
 * is moved down over the CRs dropped before it, and no buffer is allocated per chunk (a copy
 * per chunk, and the garbage it leaves, cost more CPU than the conversion on a 10 MiB
 * message; docs/performance.md). The chunks `Pop3Client` yields are the caller's to keep, and
 * so to rewrite.
 */
export class CrlfToLf {
  #heldCr = false;

  /**
   * Converts one chunk, rewriting its bytes, and returns the converted part: a view of the
   * chunk, except after a held CR that turns out to be content, when it is a new array one
   * byte longer. The chunk must not be read again (nor be another chunk's view) afterwards.
   */
  push(chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    // An empty chunk says nothing about a held CR.
    if (n === 0) return chunk;
    let heldCr = this.#heldCr;
    this.#heldCr = false;
    let from = 0;
    if (heldCr && chunk[0] === LF) heldCr = false;
    // Buffer's indexOf runs natively (memchr), several times faster than a loop over bytes
    // from JavaScript; copyWithin moves each line down without allocating.
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, n);
    let to = 0;
    let end = n;
    for (let at = 0; ; ) {
      const cr = bytes.indexOf(CR, at);
      if (cr === -1) break;
      if (cr + 1 === n) {
        this.#heldCr = true;
        end = cr;
        break;
      }
      if (bytes[cr + 1] !== LF) {
        at = cr + 1;
        continue;
      }
      if (to !== from) bytes.copyWithin(to, from, cr);
      to += cr - from;
      from = cr + 1;
      at = cr + 2;
    }
    if (to !== from) bytes.copyWithin(to, from, end);
    to += end - from;
    const converted = chunk.subarray(0, to);
    if (!heldCr) return converted;
    // The CR held back from the last chunk was not followed by LF: it is content.
    const out = new Uint8Array(to + 1);
    out[0] = CR;
    out.set(converted, 1);
    return out;
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
