const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the size of a message as POP3 transmits it, before dot-stuffing (RFC 1939
 * section 11: LIST and STAT report the size on the wire, not on disk).
 *
 * The message is split at LF; one CR directly before each LF is part of the line ending;
 * every line ending becomes CRLF. A last line without a line ending counts without one, as
 * Dovecot counts it; RETR then adds the CRLF that the terminator needs. So every octet
 * counts once, and a bare LF counts twice (it becomes CRLF). This is exactly what
 * `MultilineEncoder` writes, less its stuffing and terminator.
 *
 * Streaming: feed chunks split anywhere with `update`, read `size` at the end.
 */
export class WireSizeCounter {
  #size = 0;
  #lastByte = -1;

  /** Adds one chunk of the stored message. */
  update(chunk: Uint8Array): void {
    this.#size += chunk.length;
    let previous = this.#lastByte;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) {
      const before = i === 0 ? previous : chunk[i - 1];
      if (before !== CR) this.#size += 1;
    }
    if (chunk.length > 0) previous = chunk[chunk.length - 1] as number;
    this.#lastByte = previous;
  }

  /** The wire size of everything fed so far. */
  get size(): number {
    return this.#size;
  }
}

/** The wire size of a whole message held in memory (see `WireSizeCounter`). */
export function wireSize(message: Uint8Array): number {
  const counter = new WireSizeCounter();
  counter.update(message);
  return counter.size;
}
