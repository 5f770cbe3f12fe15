/**
 * Base64 by hand (core has neither Node's buffers nor `atob`), in the strict form that SASL needs: RFC 5034
 * section 4 carries every SASL response as base64 and says a server must reject a response it
 * cannot decode, so the decoder refuses instead of guessing.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD = 0x3d; // "="

/** Character code -> 6-bit value, or -1 for anything outside the RFC 4648 section 4 alphabet. */
const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/** Encodes bytes as base64 (RFC 4648 section 4), padded with "=", no line breaks. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n =
      ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      ALPHABET.charAt(n >> 18) +
      ALPHABET.charAt((n >> 12) & 63) +
      ALPHABET.charAt((n >> 6) & 63) +
      ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = (bytes[whole] as number) << 16;
    out += `${ALPHABET.charAt(n >> 18)}${ALPHABET.charAt((n >> 12) & 63)}==`;
  } else if (rest === 2) {
    const n = ((bytes[whole] as number) << 16) | ((bytes[whole + 1] as number) << 8);
    out += `${ALPHABET.charAt(n >> 18)}${ALPHABET.charAt((n >> 12) & 63)}${ALPHABET.charAt((n >> 6) & 63)}=`;
  }
  return out;
}

/**
 * Decodes base64 strictly, returning `null` for anything but the canonical RFC 4648 section 4
 * encoding of some byte string:
 * - the length must be a multiple of 4 and padding ("=" or "==") is required at the end;
 * - no whitespace, no line breaks, no URL-safe alphabet ("-", "_"), no "=" elsewhere;
 * - the unused bits before the padding must be zero (RFC 4648 section 3.5), so every byte
 *   string has exactly one accepted encoding.
 *
 * The empty string decodes to no bytes. (POP3's "=" for an empty SASL response, RFC 5034
 * section 4, is the session's business, not this decoder's.)
 */
export function decodeBase64(text: string): Uint8Array | null {
  const length = text.length;
  if (length % 4 !== 0) return null;
  if (length === 0) return new Uint8Array(0);
  let padding = 0;
  if (text.charCodeAt(length - 1) === PAD) padding = text.charCodeAt(length - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((length / 4) * 3 - padding);
  const lastQuad = length - 4;
  let at = 0;
  for (let i = 0; i < lastQuad; i += 4) {
    const n = quad(text, i);
    if (n < 0) return null;
    out[at++] = n >> 16;
    out[at++] = (n >> 8) & 0xff;
    out[at++] = n & 0xff;
  }
  if (padding === 0) {
    const n = quad(text, lastQuad);
    if (n < 0) return null;
    out[at++] = n >> 16;
    out[at++] = (n >> 8) & 0xff;
    out[at] = n & 0xff;
  } else if (padding === 1) {
    const a = sextet(text, lastQuad);
    const b = sextet(text, lastQuad + 1);
    const c = sextet(text, lastQuad + 2);
    if ((a | b | c) < 0 || (c & 0b11) !== 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[at++] = n >> 16;
    out[at] = (n >> 8) & 0xff;
  } else {
    const a = sextet(text, lastQuad);
    const b = sextet(text, lastQuad + 1);
    if ((a | b) < 0 || (b & 0b1111) !== 0) return null;
    out[at] = ((a << 18) | (b << 12)) >> 16;
  }
  return out;
}

/** Four characters as 24 bits, or a negative number if any is not in the alphabet. */
function quad(text: string, i: number): number {
  const a = sextet(text, i);
  const b = sextet(text, i + 1);
  const c = sextet(text, i + 2);
  const d = sextet(text, i + 3);
  if ((a | b | c | d) < 0) return -1;
  return (a << 18) | (b << 12) | (c << 6) | d;
}

/** One character's 6-bit value, or -1 ("=" included: padding is handled by the caller). */
function sextet(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? (DECODE_TABLE[code] as number) : -1;
}
