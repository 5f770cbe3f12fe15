import { LocalProtocolError } from "../errors/local-protocol-error.ts";

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const EMPTY = new Uint8Array(0);

/** What one `push` yields. */
export interface MultilineChunk {
  /** The unstuffed message bytes of this chunk, in order; mostly views of the input. */
  readonly data: Uint8Array[];
  /** True once the terminating ".\r\n" line has been seen. */
  readonly end: boolean;
  /** The bytes after the terminator line (the start of the next response); empty before. */
  readonly rest: Uint8Array;
}

/**
 * Reads the body of a multi-line response (RFC 1939 section 3), the client side of RETR,
 * TOP, LIST, UIDL and CAPA, one chunk at a time, as the bytes arrive.
 *
 * Give it the bytes that follow the status line's CRLF, so the block starts at a line start.
 * A line that is exactly "." ends the block and is not data; any other line that begins with
 * "." loses that first "." (byte-stuffing). Everything else, line endings included, passes
 * through as received: the message arrives as RFC 1939 sends it, with CRLF line endings.
 *
 * Lines end in CRLF and only in CRLF: RFC 1939 section 3 terminates every line of a response
 * with "a CRLF pair" and says the block ends with the five octets "CRLF.CRLF". A bare LF is an
 * ordinary data byte, so "\n.\r\n" does not end the block and ".." after a bare LF stays "..".
 * Servers that send bare LF line endings are broken in ways no guess repairs reliably; reading
 * them strictly at least never ends a message early.
 *
 * Chunks may split anywhere, inside "\r\n.\r\n" too. Across chunks the decoder keeps the last
 * two bytes it saw and at most a "." or ".\r" it cannot yet classify; it copies nothing else.
 */
export class MultilineDecoder {
  // The two wire bytes before the current chunk. The block starts right after the status
  // line's CRLF, so it starts as if one had just been seen.
  #before1 = LF;
  #before2 = CR;
  /** 0, or the length of a line-start "." (1) or ".\r" (2) held back from the last chunk. */
  #held = 0;
  #ended = false;
  #octets = 0;

  /** The number of unstuffed message bytes delivered so far (to enforce a size cap). */
  get octets(): number {
    return this.#octets;
  }

  /**
   * Decodes the next chunk of the response. The views in `data` stay valid as long as the
   * input does. Throws `LocalProtocolError` (`invalid-state`) once the block has ended: the
   * bytes after it were returned as `rest` and belong to the next response.
   */
  push(chunk: Uint8Array): MultilineChunk {
    if (this.#ended) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: "the multi-line block has already ended; its rest belongs to the next response",
      });
    }
    const n = chunk.length;
    const data: Uint8Array[] = [];
    if (n === 0) return { data, end: false, rest: EMPTY };

    // Settle a "." or ".\r" held back at a line start: the terminator, or a stuffed dot.
    if (this.#held === 1) {
      if (chunk[0] === CR) {
        if (n === 1) {
          this.#held = 2;
          this.#remember(chunk);
          return { data, end: false, rest: EMPTY };
        }
        if (chunk[1] === LF) return this.#finish(data, chunk.subarray(2));
      }
    } else if (this.#held === 2) {
      if (chunk[0] === LF) return this.#finish(data, chunk.subarray(1));
      // ".\r" then something else: the "." was stuffing, the CR is data.
      this.#deliver(data, Uint8Array.of(CR));
    }
    this.#held = 0;

    const input = new DataView(chunk.buffer, chunk.byteOffset, n);
    let from = 0;
    for (
      let dot = this.#lineStartDot(chunk, input, 0);
      dot !== -1;
      dot = this.#lineStartDot(chunk, input, dot + 1)
    ) {
      if (dot > from) this.#deliver(data, chunk.subarray(from, dot));
      // ".\r\n" ends the block; "." or ".\r" at the end of the chunk wait for the next one.
      if (dot + 1 === n) {
        this.#held = 1;
        from = n;
        break;
      }
      if (chunk[dot + 1] === CR) {
        if (dot + 2 === n) {
          this.#held = 2;
          from = n;
          break;
        }
        if (chunk[dot + 2] === LF) return this.#finish(data, chunk.subarray(dot + 3));
      }
      // Any other line that starts with "." was stuffed: drop that one ".".
      from = dot + 1;
    }

    if (from < n) this.#deliver(data, from === 0 ? chunk : chunk.subarray(from));
    this.#remember(chunk);
    return { data, end: false, rest: EMPTY };
  }

  /**
   * The index of the next "." at or after `start` that begins a line (comes right after CRLF),
   * or -1. Positions 0 and 1 look back into the previous chunk.
   *
   * Most of a message has no such dot, so this is the loop that sets the decoder's speed. It
   * reads sixteen bytes at a time as four little-endian words (any host: the order only has
   * to match the shifts below) and tests them for "." with a few integer operations;
   * typed-array indexOf costs more per call than most lines take to scan this way. Text has
   * a "." in many such groups, nearly all inside lines, so a group with one also gets a test,
   * still without branches, for an LF right before it; only a group that passes both is
   * looked at byte by byte (base64 has no "." at all).
   */
  #lineStartDot(chunk: Uint8Array, input: DataView, start: number): number {
    const n = chunk.length;
    let i = start;
    if (i === 0) {
      if (chunk[0] === DOT && this.#before1 === LF && this.#before2 === CR) return 0;
      i = 1;
    }
    if (i === 1) {
      if (n > 1 && chunk[1] === DOT && chunk[0] === LF && this.#before1 === CR) return 1;
      i = 2;
    }
    // Word-at-a-time search (SWAR): `(x - lowBits) & ~x & highBits` sets the top bit of every
    // zero byte of x (and, rarely, of a 0x01 byte just above one: a false alarm, never a
    // miss), so x = word ^ dotWord flags the "." bytes among four. Local constants, because V8
    // folds them into the instructions; module-level ones (which a bundler turns into `var`s)
    // are reloaded and type-checked on every pass.
    const dotWord = 0x2e2e2e2e;
    const lfWord = 0x0a0a0a0a;
    const lowBits = 0x01010101;
    const highBits = 0x80808080 | 0;
    while (i < n) {
      for (; i + 16 <= n; i += 16) {
        const v0 = input.getInt32(i, true);
        const v1 = input.getInt32(i + 4, true);
        const v2 = input.getInt32(i + 8, true);
        const v3 = input.getInt32(i + 12, true);
        const d0 = v0 ^ dotWord;
        const d1 = v1 ^ dotWord;
        const d2 = v2 ^ dotWord;
        const d3 = v3 ^ dotWord;
        const dots0 = (d0 - lowBits) & ~d0;
        const dots1 = (d1 - lowBits) & ~d1;
        const dots2 = (d2 - lowBits) & ~d2;
        const dots3 = (d3 - lowBits) & ~d3;
        if (((dots0 | dots1 | dots2 | dots3) & highBits) === 0) continue;
        // Flags of the LF bytes, shifted one byte up (into the next word across words), so
        // they line up with the flags of the bytes that follow an LF.
        const l0 = v0 ^ lfWord;
        const l1 = v1 ^ lfWord;
        const l2 = v2 ^ lfWord;
        const l3 = v3 ^ lfWord;
        const lfs0 = (l0 - lowBits) & ~l0 & highBits;
        const lfs1 = (l1 - lowBits) & ~l1 & highBits;
        const lfs2 = (l2 - lowBits) & ~l2 & highBits;
        const lfs3 = (l3 - lowBits) & ~l3 & highBits;
        const lfBefore = chunk[i - 1] === LF ? 0x80 : 0;
        const afterLf =
          (dots0 & ((lfs0 << 8) | lfBefore)) |
          (dots1 & ((lfs1 << 8) | (lfs0 >>> 24))) |
          (dots2 & ((lfs2 << 8) | (lfs1 >>> 24))) |
          (dots3 & ((lfs3 << 8) | (lfs2 >>> 24)));
        if (afterLf !== 0) break;
      }
      // The flags may be false alarms (and the CR is still unchecked): settle them byte by byte.
      const stop = Math.min(n, i + 16);
      for (; i < stop; i++) {
        if (chunk[i] === DOT && chunk[i - 1] === LF && chunk[i - 2] === CR) return i;
      }
    }
    return -1;
  }

  #deliver(data: Uint8Array[], bytes: Uint8Array): void {
    data.push(bytes);
    this.#octets += bytes.length;
  }

  /** Keeps the last two wire bytes, which decide whether the next chunk starts a line. */
  #remember(chunk: Uint8Array): void {
    const n = chunk.length;
    this.#before2 = n >= 2 ? (chunk[n - 2] as number) : this.#before1;
    this.#before1 = chunk[n - 1] as number;
  }

  #finish(data: Uint8Array[], rest: Uint8Array): MultilineChunk {
    this.#ended = true;
    this.#held = 0;
    return { data, end: true, rest };
  }
}
