import { CR, concatBytes, LF } from "./ascii.ts";

/** What `LineReader.next` found. */
export type LineReadResult =
  /** A whole line, without its line ending. */
  | { readonly type: "line"; readonly line: Uint8Array }
  /**
   * A line passed `maxOctets` before its end arrived. Its bytes were thrown away, and so is
   * the rest of it up to the next LF; reading goes on after that. Reported once per line.
   */
  | { readonly type: "line-too-long" };

/**
 * Splits a byte stream into lines, for command lines and status lines.
 *
 * Lines end in CRLF (RFC 1939 section 3); a bare LF is accepted too, as Dovecot and most
 * servers accept it from clients, and one CR before it is dropped. Nothing is buffered
 * beyond `maxOctets` (line ending included): an over-long line is skipped, not stored, so a
 * peer cannot make us hold unbounded input (RFC 2449 section 4 sets the 512-octet floor).
 *
 * Chunks are kept as they came and copied only when a line spans chunks (nats.js parser).
 */
export class LineReader {
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #skipping = false;
  /** Octets at the front already searched for LF without finding one: never searched twice. */
  #searched = 0;
  #maxOctets: number;

  constructor(options: { maxOctets: number }) {
    this.#maxOctets = options.maxOctets;
  }

  /** The line limit, line ending included. It can change, e.g. during a SASL exchange. */
  get maxOctets(): number {
    return this.#maxOctets;
  }

  set maxOctets(value: number) {
    this.#maxOctets = value;
  }

  /** Octets held and not yet returned as lines. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next complete line, a too-long report, or `null` when more bytes are needed. */
  next(): LineReadResult | null {
    for (;;) {
      const end = this.#findLf();
      if (end === -1) {
        if (this.#skipping) {
          this.#drop(this.#buffered);
          return null;
        }
        if (this.#buffered > this.#maxOctets) {
          this.#drop(this.#buffered);
          this.#skipping = true;
          return { type: "line-too-long" };
        }
        return null;
      }
      const raw = this.#take(end + 1);
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (raw.length > this.#maxOctets) return { type: "line-too-long" };
      let stop = raw.length - 1;
      if (stop > 0 && raw[stop - 1] === CR) stop--;
      return { type: "line", line: raw.subarray(0, stop) };
    }
  }

  /**
   * Removes and returns everything buffered. After STLS, the caller throws this away: bytes
   * sent in clear before the handshake must never be acted on (RFC 2595 section 4,
   * CVE-2011-0411).
   */
  takeRest(): Uint8Array {
    const rest = this.#take(this.#buffered);
    this.#skipping = false;
    return rest;
  }

  #findLf(): number {
    let offset = 0;
    for (const chunk of this.#chunks) {
      // Chunks wholly inside the searched prefix hold no LF; start past it (a peer that sends
      // one byte at a time must not make every call rescan the whole line).
      if (offset + chunk.length > this.#searched) {
        const index = chunk.indexOf(LF, Math.max(0, this.#searched - offset));
        if (index !== -1) return offset + index;
      }
      offset += chunk.length;
    }
    this.#searched = offset;
    return -1;
  }

  #take(count: number): Uint8Array {
    const first = this.#chunks[0];
    if (first !== undefined && first.length >= count) {
      // A chunk that is exactly the line (one command per read, the usual case) is handed
      // out as it is: a view costs an allocation per command.
      const out = first.length === count ? first : first.subarray(0, count);
      this.#drop(count);
      return out;
    }
    const parts: Uint8Array[] = [];
    let remaining = count;
    for (const chunk of this.#chunks) {
      if (remaining === 0) break;
      const part = chunk.subarray(0, Math.min(remaining, chunk.length));
      parts.push(part);
      remaining -= part.length;
    }
    const out = concatBytes(parts);
    this.#drop(count);
    return out;
  }

  #drop(count: number): void {
    this.#buffered -= count;
    this.#searched = Math.max(0, this.#searched - count);
    let remaining = count;
    while (remaining > 0) {
      const first = this.#chunks[0] as Uint8Array;
      if (first.length <= remaining) {
        remaining -= first.length;
        this.#chunks.shift();
      } else {
        this.#chunks[0] = first.subarray(remaining);
        remaining = 0;
      }
    }
  }
}
