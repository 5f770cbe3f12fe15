/**
 * MD5 (RFC 1321), in plain TypeScript because core has no `crypto` (docs/design.md) and APOP
 * (RFC 1939 section 7) and CRAM-MD5 (RFC 2195) are built on it. MD5 is broken for collision
 * resistance; it is here only because those protocols require it.
 *
 * Speed: the whole block function is unrolled over local variables in 32-bit integer math
 * (`| 0` after every addition, so the JIT keeps machine integers) with no helper calls (a
 * call per step overruns V8's inlining budget and runs six times slower), reads each 64-byte
 * block straight from the caller's bytes through a DataView (little-endian words, RFC 1321
 * section 2), and allocates nothing per block. See md5.test.ts for the
 * throughput check against node:crypto.
 */

/** Bytes per MD5 block (RFC 1321 section 3.4: sixteen 32-bit words). */
const BLOCK = 64;
/** `Md5.digest`'s scratch: the state it pads and runs on, and the one or two tail blocks. */
const DIGEST_STATE = new Int32Array(4);
const DIGEST_TAIL = new Uint8Array(2 * BLOCK);

/**
 * Incremental MD5: feed bytes in any split with `update`, read the 16-byte digest with `digest`.
 *
 * `digest()` does not end the hash: it pads a copy of the state, so more `update` calls may
 * follow and a later `digest()` covers everything fed so far.
 */
export class Md5 {
  /** The chaining variables A, B, C, D (RFC 1321 section 3.3). */
  readonly #state = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476);
  /** The start of an unfinished block, carried to the next `update`. */
  readonly #pending = new Uint8Array(BLOCK);
  #pendingLength = 0;
  /** Total bytes fed; a double counts exactly far past any realistic input. */
  #length = 0;

  /** Adds bytes to the hash. Returns `this`, so calls chain. */
  update(bytes: Uint8Array): this {
    const length = bytes.length;
    this.#length += length;
    let at = 0;
    if (this.#pendingLength > 0) {
      const take = Math.min(BLOCK - this.#pendingLength, length);
      this.#pending.set(bytes.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      at = take;
      if (this.#pendingLength < BLOCK) return this;
      compress(this.#state, this.#pending, 0, BLOCK);
      this.#pendingLength = 0;
    }
    const whole = length - ((length - at) % BLOCK);
    if (whole > at) compress(this.#state, bytes, at, whole);
    if (whole < length) {
      this.#pending.set(bytes.subarray(whole), 0);
      this.#pendingLength = length - whole;
    }
    return this;
  }

  /** The 16-byte digest of everything fed so far (RFC 1321 section 3.5: A, B, C, D little-endian). */
  digest(): Uint8Array {
    // The copy of the state and the padded tail are scratch shared by every `Md5`: nothing
    // yields between filling and using them, and a fresh 128-byte tail is memory outside the
    // engine's heap, several times dearer to allocate and collect (one APOP login, one digest).
    const state = DIGEST_STATE;
    state.set(this.#state);
    // RFC 1321 sections 3.1 and 3.2: a 0x80 byte, zeros up to 56 mod 64, then the length in
    // bits as a 64-bit little-endian number. One block, or two if fewer than 9 bytes are free.
    const used = this.#pendingLength;
    const tailLength = used < BLOCK - 8 ? BLOCK : 2 * BLOCK;
    const tail = DIGEST_TAIL;
    tail.set(this.#pending.subarray(0, used));
    tail[used] = 0x80;
    const bits = tailLength - 8;
    tail.fill(0, used + 1, bits);
    // length * 8 split at 2^32 without leaving exact double arithmetic.
    writeLe32(tail, bits, (this.#length % 0x20000000) * 8);
    writeLe32(tail, bits + 4, Math.floor(this.#length / 0x20000000));
    compress(state, tail, 0, tailLength);
    const out = new Uint8Array(16);
    for (let i = 0; i < 4; i++) writeLe32(out, 4 * i, state[i] as number);
    return out;
  }
}

/** The MD5 digest (16 bytes) of `bytes` in one call. */
export function md5(bytes: Uint8Array): Uint8Array {
  return new Md5().update(bytes).digest();
}

/**
 * Runs the block function (RFC 1321 section 3.4) over the blocks in `bytes[start, end)`;
 * `end - start` is a multiple of 64. The state stays in locals across blocks.
 */
function compress(state: Int32Array, bytes: Uint8Array, start: number, end: number): void {
  // One view per call, not per block; V8 compiles DataView reads to plain loads, which
  // measured faster here than assembling each word from four bytes.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  for (let at = start; at < end; at += BLOCK) {
    const x0 = view.getInt32(at + 0, true);
    const x1 = view.getInt32(at + 4, true);
    const x2 = view.getInt32(at + 8, true);
    const x3 = view.getInt32(at + 12, true);
    const x4 = view.getInt32(at + 16, true);
    const x5 = view.getInt32(at + 20, true);
    const x6 = view.getInt32(at + 24, true);
    const x7 = view.getInt32(at + 28, true);
    const x8 = view.getInt32(at + 32, true);
    const x9 = view.getInt32(at + 36, true);
    const x10 = view.getInt32(at + 40, true);
    const x11 = view.getInt32(at + 44, true);
    const x12 = view.getInt32(at + 48, true);
    const x13 = view.getInt32(at + 52, true);
    const x14 = view.getInt32(at + 56, true);
    const x15 = view.getInt32(at + 60, true);
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;
    let n: number;

    // Round 1: F(b, c, d) = (b & c) | (~b & d), written d ^ (b & (c ^ d)).
    n = (a + (d ^ (b & (c ^ d))) + x0 + -680876936) | 0;
    a = (((n << 7) | (n >>> 25)) + b) | 0;
    n = (d + (c ^ (a & (b ^ c))) + x1 + -389564586) | 0;
    d = (((n << 12) | (n >>> 20)) + a) | 0;
    n = (c + (b ^ (d & (a ^ b))) + x2 + 606105819) | 0;
    c = (((n << 17) | (n >>> 15)) + d) | 0;
    n = (b + (a ^ (c & (d ^ a))) + x3 + -1044525330) | 0;
    b = (((n << 22) | (n >>> 10)) + c) | 0;
    n = (a + (d ^ (b & (c ^ d))) + x4 + -176418897) | 0;
    a = (((n << 7) | (n >>> 25)) + b) | 0;
    n = (d + (c ^ (a & (b ^ c))) + x5 + 1200080426) | 0;
    d = (((n << 12) | (n >>> 20)) + a) | 0;
    n = (c + (b ^ (d & (a ^ b))) + x6 + -1473231341) | 0;
    c = (((n << 17) | (n >>> 15)) + d) | 0;
    n = (b + (a ^ (c & (d ^ a))) + x7 + -45705983) | 0;
    b = (((n << 22) | (n >>> 10)) + c) | 0;
    n = (a + (d ^ (b & (c ^ d))) + x8 + 1770035416) | 0;
    a = (((n << 7) | (n >>> 25)) + b) | 0;
    n = (d + (c ^ (a & (b ^ c))) + x9 + -1958414417) | 0;
    d = (((n << 12) | (n >>> 20)) + a) | 0;
    n = (c + (b ^ (d & (a ^ b))) + x10 + -42063) | 0;
    c = (((n << 17) | (n >>> 15)) + d) | 0;
    n = (b + (a ^ (c & (d ^ a))) + x11 + -1990404162) | 0;
    b = (((n << 22) | (n >>> 10)) + c) | 0;
    n = (a + (d ^ (b & (c ^ d))) + x12 + 1804603682) | 0;
    a = (((n << 7) | (n >>> 25)) + b) | 0;
    n = (d + (c ^ (a & (b ^ c))) + x13 + -40341101) | 0;
    d = (((n << 12) | (n >>> 20)) + a) | 0;
    n = (c + (b ^ (d & (a ^ b))) + x14 + -1502002290) | 0;
    c = (((n << 17) | (n >>> 15)) + d) | 0;
    n = (b + (a ^ (c & (d ^ a))) + x15 + 1236535329) | 0;
    b = (((n << 22) | (n >>> 10)) + c) | 0;

    // Round 2: G(b, c, d) = (b & d) | (c & ~d), written c ^ (d & (b ^ c)).
    n = (a + (c ^ (d & (b ^ c))) + x1 + -165796510) | 0;
    a = (((n << 5) | (n >>> 27)) + b) | 0;
    n = (d + (b ^ (c & (a ^ b))) + x6 + -1069501632) | 0;
    d = (((n << 9) | (n >>> 23)) + a) | 0;
    n = (c + (a ^ (b & (d ^ a))) + x11 + 643717713) | 0;
    c = (((n << 14) | (n >>> 18)) + d) | 0;
    n = (b + (d ^ (a & (c ^ d))) + x0 + -373897302) | 0;
    b = (((n << 20) | (n >>> 12)) + c) | 0;
    n = (a + (c ^ (d & (b ^ c))) + x5 + -701558691) | 0;
    a = (((n << 5) | (n >>> 27)) + b) | 0;
    n = (d + (b ^ (c & (a ^ b))) + x10 + 38016083) | 0;
    d = (((n << 9) | (n >>> 23)) + a) | 0;
    n = (c + (a ^ (b & (d ^ a))) + x15 + -660478335) | 0;
    c = (((n << 14) | (n >>> 18)) + d) | 0;
    n = (b + (d ^ (a & (c ^ d))) + x4 + -405537848) | 0;
    b = (((n << 20) | (n >>> 12)) + c) | 0;
    n = (a + (c ^ (d & (b ^ c))) + x9 + 568446438) | 0;
    a = (((n << 5) | (n >>> 27)) + b) | 0;
    n = (d + (b ^ (c & (a ^ b))) + x14 + -1019803690) | 0;
    d = (((n << 9) | (n >>> 23)) + a) | 0;
    n = (c + (a ^ (b & (d ^ a))) + x3 + -187363961) | 0;
    c = (((n << 14) | (n >>> 18)) + d) | 0;
    n = (b + (d ^ (a & (c ^ d))) + x8 + 1163531501) | 0;
    b = (((n << 20) | (n >>> 12)) + c) | 0;
    n = (a + (c ^ (d & (b ^ c))) + x13 + -1444681467) | 0;
    a = (((n << 5) | (n >>> 27)) + b) | 0;
    n = (d + (b ^ (c & (a ^ b))) + x2 + -51403784) | 0;
    d = (((n << 9) | (n >>> 23)) + a) | 0;
    n = (c + (a ^ (b & (d ^ a))) + x7 + 1735328473) | 0;
    c = (((n << 14) | (n >>> 18)) + d) | 0;
    n = (b + (d ^ (a & (c ^ d))) + x12 + -1926607734) | 0;
    b = (((n << 20) | (n >>> 12)) + c) | 0;

    // Round 3: H(b, c, d) = b ^ c ^ d.
    n = (a + (b ^ c ^ d) + x5 + -378558) | 0;
    a = (((n << 4) | (n >>> 28)) + b) | 0;
    n = (d + (a ^ b ^ c) + x8 + -2022574463) | 0;
    d = (((n << 11) | (n >>> 21)) + a) | 0;
    n = (c + (d ^ a ^ b) + x11 + 1839030562) | 0;
    c = (((n << 16) | (n >>> 16)) + d) | 0;
    n = (b + (c ^ d ^ a) + x14 + -35309556) | 0;
    b = (((n << 23) | (n >>> 9)) + c) | 0;
    n = (a + (b ^ c ^ d) + x1 + -1530992060) | 0;
    a = (((n << 4) | (n >>> 28)) + b) | 0;
    n = (d + (a ^ b ^ c) + x4 + 1272893353) | 0;
    d = (((n << 11) | (n >>> 21)) + a) | 0;
    n = (c + (d ^ a ^ b) + x7 + -155497632) | 0;
    c = (((n << 16) | (n >>> 16)) + d) | 0;
    n = (b + (c ^ d ^ a) + x10 + -1094730640) | 0;
    b = (((n << 23) | (n >>> 9)) + c) | 0;
    n = (a + (b ^ c ^ d) + x13 + 681279174) | 0;
    a = (((n << 4) | (n >>> 28)) + b) | 0;
    n = (d + (a ^ b ^ c) + x0 + -358537222) | 0;
    d = (((n << 11) | (n >>> 21)) + a) | 0;
    n = (c + (d ^ a ^ b) + x3 + -722521979) | 0;
    c = (((n << 16) | (n >>> 16)) + d) | 0;
    n = (b + (c ^ d ^ a) + x6 + 76029189) | 0;
    b = (((n << 23) | (n >>> 9)) + c) | 0;
    n = (a + (b ^ c ^ d) + x9 + -640364487) | 0;
    a = (((n << 4) | (n >>> 28)) + b) | 0;
    n = (d + (a ^ b ^ c) + x12 + -421815835) | 0;
    d = (((n << 11) | (n >>> 21)) + a) | 0;
    n = (c + (d ^ a ^ b) + x15 + 530742520) | 0;
    c = (((n << 16) | (n >>> 16)) + d) | 0;
    n = (b + (c ^ d ^ a) + x2 + -995338651) | 0;
    b = (((n << 23) | (n >>> 9)) + c) | 0;

    // Round 4: I(b, c, d) = c ^ (b | ~d).
    n = (a + (c ^ (b | ~d)) + x0 + -198630844) | 0;
    a = (((n << 6) | (n >>> 26)) + b) | 0;
    n = (d + (b ^ (a | ~c)) + x7 + 1126891415) | 0;
    d = (((n << 10) | (n >>> 22)) + a) | 0;
    n = (c + (a ^ (d | ~b)) + x14 + -1416354905) | 0;
    c = (((n << 15) | (n >>> 17)) + d) | 0;
    n = (b + (d ^ (c | ~a)) + x5 + -57434055) | 0;
    b = (((n << 21) | (n >>> 11)) + c) | 0;
    n = (a + (c ^ (b | ~d)) + x12 + 1700485571) | 0;
    a = (((n << 6) | (n >>> 26)) + b) | 0;
    n = (d + (b ^ (a | ~c)) + x3 + -1894986606) | 0;
    d = (((n << 10) | (n >>> 22)) + a) | 0;
    n = (c + (a ^ (d | ~b)) + x10 + -1051523) | 0;
    c = (((n << 15) | (n >>> 17)) + d) | 0;
    n = (b + (d ^ (c | ~a)) + x1 + -2054922799) | 0;
    b = (((n << 21) | (n >>> 11)) + c) | 0;
    n = (a + (c ^ (b | ~d)) + x8 + 1873313359) | 0;
    a = (((n << 6) | (n >>> 26)) + b) | 0;
    n = (d + (b ^ (a | ~c)) + x15 + -30611744) | 0;
    d = (((n << 10) | (n >>> 22)) + a) | 0;
    n = (c + (a ^ (d | ~b)) + x6 + -1560198380) | 0;
    c = (((n << 15) | (n >>> 17)) + d) | 0;
    n = (b + (d ^ (c | ~a)) + x13 + 1309151649) | 0;
    b = (((n << 21) | (n >>> 11)) + c) | 0;
    n = (a + (c ^ (b | ~d)) + x4 + -145523070) | 0;
    a = (((n << 6) | (n >>> 26)) + b) | 0;
    n = (d + (b ^ (a | ~c)) + x11 + -1120210379) | 0;
    d = (((n << 10) | (n >>> 22)) + a) | 0;
    n = (c + (a ^ (d | ~b)) + x2 + 718787259) | 0;
    c = (((n << 15) | (n >>> 17)) + d) | 0;
    n = (b + (d ^ (c | ~a)) + x9 + -343485551) | 0;
    b = (((n << 21) | (n >>> 11)) + c) | 0;

    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}

/** Writes a 32-bit word low-order byte first (RFC 1321 section 2). */
function writeLe32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}
