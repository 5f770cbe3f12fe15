import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import {
  KERNEL_SLICE_OCTETS,
  type MultilineEncodeKernel,
  multilineEncodeKernel,
} from "./multiline-encode-kernel.ts";

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const EMPTY = new Uint8Array(0);
/**
 * RETR chunks from this size on go through the WebAssembly kernel where there is one; below
 * it, copying in and out of the kernel's memory costs more than the loop here.
 */
const KERNEL_MIN_OCTETS = 4096;

// Where the encoder stands in the current line. TOP needs to tell an empty line ("" or a
// lone CR before the LF) from any other, so "only a CR so far" is a state of its own.
const AT_LINE_START = 0;
const AFTER_LONE_CR = 1;
const IN_LINE = 2;
type LineState = typeof AT_LINE_START | typeof AFTER_LONE_CR | typeof IN_LINE;

/**
 * Turns a stored message into the body of a multi-line response (RFC 1939 section 3), the
 * server side of RETR and TOP, one chunk at a time.
 *
 * The message is split at LF; one CR directly before an LF is part of the line ending; every
 * line ending goes out as CRLF (so a bare LF becomes CRLF, CRLF stays, and a CR anywhere else
 * is data). A line that begins with "." gets one more "." in front (byte-stuffing). `end()`
 * closes an unterminated last line with CRLF and adds the ".\r\n" terminator. Without the
 * stuffing and the terminator, the output is exactly what `WireSizeCounter` counts, so the
 * sizes LIST reported match what RETR sends (RFC 1939 section 11).
 *
 * With `bodyLines: n` it encodes TOP (RFC 1939 section 7): the header lines, the empty line
 * that ends them, then at most n lines of the body. A message without an empty line is all
 * header. Once the limit is reached `done` is true and further input is ignored, so the driver
 * can stop reading the store.
 *
 * Chunks may be split anywhere, even between CR and LF or right before a "."; the encoder
 * carries only where it is in the current line, the last byte it saw and the TOP counters.
 * Each `encode` returns a view of a fresh buffer (the driver may still be writing earlier
 * ones) sized for the chunk plus an eighth, or twice the chunk when it is mostly line endings
 * and dots; with `reuseOutput`, RETR's large chunks come in one buffer reused from call to call.
 * RETR's chunks of 4 KiB and more are encoded by a WebAssembly kernel where the runtime allows
 * one (`multiline-encode-kernel.wat`); the code here is the specification it matches.
 */
export class MultilineEncoder {
  #state: LineState = AT_LINE_START;
  #lastByte = -1;
  /** Body lines still allowed, or -1 for RETR (no limit). */
  #linesLeft: number;
  #inBody = false;
  #done = false;
  /** With `reuseOutput`: the buffer RETR's large chunks are encoded into, chunk after chunk. */
  #reused: Uint8Array | null;

  /**
   * @param options.bodyLines TOP's line count; absent for RETR.
   * @param options.reuseOutput RETR's large chunks may be encoded into one buffer the encoder
   *   keeps: a result is then valid only until the next `encode`. For a caller that has
   *   written each result out (and the transport is done with it) before it encodes more.
   */
  constructor(options: { bodyLines?: number; reuseOutput?: boolean } = {}) {
    const { bodyLines } = options;
    this.#reused = options.reuseOutput === true ? new Uint8Array(0) : null;
    if (bodyLines !== undefined && !(Number.isSafeInteger(bodyLines) && bodyLines >= 0)) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: `bodyLines must be a non-negative integer, got ${bodyLines}`,
      });
    }
    this.#linesLeft = bodyLines ?? -1;
  }

  /** True once TOP has sent its last line: further input is ignored. Always false for RETR. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Encodes one chunk of the stored message and returns the bytes to send for it, which may be
   * empty (an empty chunk, or input after `done`).
   */
  encode(chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    if (this.#done || n === 0) return EMPTY;
    if (n >= KERNEL_MIN_OCTETS && this.#linesLeft < 0) {
      const kernel = multilineEncodeKernel();
      if (kernel !== null) return this.#encodeWith(kernel, chunk);
    }

    // Each input byte yields at most two output bytes (LF -> CRLF, "." -> ".." at a line
    // start, never both), but real mail grows by a CR per line at most: start with room for
    // one byte in eight more and grow to the worst case if that runs out. Measured, this beats
    // both a worst-case buffer (fresh memory is paid page by page) and an exact-size copy.
    let out = new Uint8Array(n + (n >>> 3) + 8);
    let view = new DataView(out.buffer);

    // The word path reads the input four bytes at a time and copies each group that holds no
    // LF to the output with one DataView store, whatever the alignment (every inserted CR or
    // "." shifts the output by a byte). Both sides use little-endian order, so the bytes land
    // as they were read on any host. Typed-array built-ins such as indexOf and set cost more
    // per call than a 76-byte line takes to copy this way.
    const input = new DataView(chunk.buffer, chunk.byteOffset, n);
    // Word-at-a-time search (SWAR): `(x - lowBits) & ~x & highBits` is non-zero exactly when
    // one of the four bytes of x is zero, so x = word ^ lfWord finds an LF among four bytes.
    // Local constants, because V8 folds them into the instructions; module-level ones (which
    // a bundler turns into `var`s) are reloaded and type-checked on every pass, a third slower.
    const lfWord = 0x0a0a0a0a;
    const lowBits = 0x01010101;
    const highBits = 0x80808080 | 0;
    const limited = this.#linesLeft >= 0;

    let state = this.#state;
    let p = 0;
    let i = 0;
    while (i < n) {
      // Word path: groups of four bytes until one holds an LF. It may start a line unless the
      // line starts with "." (to be stuffed); four bytes with no LF never end a line, so the
      // empty lines TOP looks for never take this path.
      if (n - i >= 4 && (state === IN_LINE || chunk[i] !== DOT)) {
        const start = i;
        // A const: V8 then checks the view once, not on every store (`view` may be regrown).
        const output = view;
        for (; i + 16 <= n; i += 16) {
          const v0 = input.getInt32(i, true);
          const v1 = input.getInt32(i + 4, true);
          const v2 = input.getInt32(i + 8, true);
          const v3 = input.getInt32(i + 12, true);
          const x0 = v0 ^ lfWord;
          const x1 = v1 ^ lfWord;
          const x2 = v2 ^ lfWord;
          const x3 = v3 ^ lfWord;
          const zeros =
            ((x0 - lowBits) & ~x0) |
            ((x1 - lowBits) & ~x1) |
            ((x2 - lowBits) & ~x2) |
            ((x3 - lowBits) & ~x3);
          if ((zeros & highBits) !== 0) break;
          output.setInt32(p, v0, true);
          output.setInt32(p + 4, v1, true);
          output.setInt32(p + 8, v2, true);
          output.setInt32(p + 12, v3, true);
          p += 16;
        }
        for (; i + 4 <= n; i += 4) {
          const v = input.getInt32(i, true);
          const x = v ^ lfWord;
          if (((x - lowBits) & ~x & highBits) !== 0) break;
          output.setInt32(p, v, true);
          p += 4;
        }
        if (i !== start) state = IN_LINE;
      }

      // Byte path: through the next LF, or four bytes, or to the end. It is the specification;
      // the word path only skips ahead where it would change nothing but copy.
      const stop = Math.min(n, i + 4);
      for (; i < stop; i++) {
        const b = chunk[i] as number;
        if (b !== LF) {
          if (state === AT_LINE_START) {
            if (b === DOT) {
              // Room for this byte and everything after it, so the word path never checks.
              if (p + 1 + n - i > out.length) {
                out = grow(out, p, p + 2 * (n - i) + 1);
                view = new DataView(out.buffer);
              }
              out[p++] = DOT;
            }
            state = b === CR ? AFTER_LONE_CR : IN_LINE;
          } else {
            state = IN_LINE;
          }
          out[p++] = b;
          continue;
        }
        const previous = i === 0 ? this.#lastByte : chunk[i - 1];
        if (previous !== CR) {
          if (p + 1 + n - i > out.length) {
            out = grow(out, p, p + 2 * (n - i) + 1);
            view = new DataView(out.buffer);
          }
          out[p++] = CR;
        }
        out[p++] = LF;
        const empty = state !== IN_LINE;
        state = AT_LINE_START;
        if (limited && this.#countLine(empty)) {
          this.#state = state;
          this.#lastByte = LF;
          return out.subarray(0, p);
        }
        i++;
        break;
      }
    }

    this.#state = state;
    this.#lastByte = chunk[n - 1] as number;
    return out.subarray(0, p);
  }

  /**
   * RETR's encoding by the kernel: a chunk of up to one slice in one call, copied out to a
   * fresh buffer or the reused one; a larger chunk slice by slice into one fresh buffer. For
   * RETR only the octet before matters: LF at a line start (or -1 at the start of the message), CR
   * before a line ending; a lone CR at a line start, which TOP alone tells apart, is in-line.
   */
  #encodeWith(kernel: MultilineEncodeKernel, chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    let last = this.#lastByte === -1 ? LF : this.#lastByte;
    this.#lastByte = chunk[n - 1] as number;
    this.#state = this.#lastByte === LF ? AT_LINE_START : IN_LINE;
    if (n <= KERNEL_SLICE_OCTETS) {
      const encoded = kernel.encode(chunk, last);
      // A copy of the kernel's output: a new buffer from `slice`, which unlike one from the
      // constructor is not zero-filled first, or the reused buffer (fresh memory is paid
      // page by page and collected later: docs/performance.md).
      if (this.#reused === null) return encoded.slice();
      // Room for the next chunks too, which may hold a few more line endings.
      if (this.#reused.length < encoded.length) {
        this.#reused = new Uint8Array(encoded.length + (encoded.length >>> 4));
      }
      this.#reused.set(encoded);
      return this.#reused.subarray(0, encoded.length);
    }
    let out = new Uint8Array(n + (n >>> 3) + 8);
    let p = 0;
    for (let at = 0; at < n; at += KERNEL_SLICE_OCTETS) {
      const slice = chunk.subarray(at, at + KERNEL_SLICE_OCTETS);
      const encoded = kernel.encode(slice, last);
      if (p + encoded.length > out.length) {
        out = grow(out, p, p + encoded.length + 2 * (n - at - slice.length));
      }
      out.set(encoded, p);
      p += encoded.length;
      last = slice[slice.length - 1] as number;
    }
    return out.subarray(0, p);
  }

  /**
   * Counts one finished line for TOP and returns true when it was the last one to send: the
   * empty line that ends the header when no body lines are wanted, or body line n.
   */
  #countLine(empty: boolean): boolean {
    if (this.#inBody) {
      this.#linesLeft -= 1;
    } else if (empty) {
      this.#inBody = true;
    }
    if (this.#inBody && this.#linesLeft === 0) this.#done = true;
    return this.#done;
  }

  /**
   * Finishes the response: CRLF after a last line that has no line ending (RFC 1939 section 3
   * wants every line terminated), then the terminator ".\r\n". An empty message gives just
   * ".\r\n". Call it once, after the last chunk (or as soon as `done`).
   */
  end(): Uint8Array {
    if (this.#state === AT_LINE_START) return Uint8Array.of(DOT, CR, LF);
    this.#state = AT_LINE_START;
    return Uint8Array.of(CR, LF, DOT, CR, LF);
  }
}

/** A larger output buffer holding the first `used` bytes of `out`. */
function grow(out: Uint8Array, used: number, size: number): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(size);
  bigger.set(out.subarray(0, used));
  return bigger;
}
