/** The character codes of "0"-"9" and "a"-"f". */
const DIGITS: readonly number[] = Array.from("0123456789abcdef", (digit) => digit.charCodeAt(0));
/** Bytes per `String.fromCharCode` call (two arguments each): well below engines' limits. */
const CHUNK = 4096;

/**
 * Lower-case hexadecimal, two digits per byte. Lower case because RFC 1939 section 7 (APOP)
 * and RFC 2195 section 2 (CRAM-MD5) require the digest in lower case on the wire.
 */
export function toHex(bytes: Uint8Array): string {
  // Character codes made a string by one call: a flat string (`+=` makes a rope of one node
  // per byte, which a string kept for a whole session, the APOP timestamp, would hold all that
  // time), and twice as fast as joining a two-digit string per byte (two calls per login).
  let text = "";
  for (let start = 0; start < bytes.length; start += CHUNK) {
    const part = bytes.subarray(start, start + CHUNK);
    const codes = new Array<number>(2 * part.length);
    for (let i = 0; i < part.length; i++) {
      const byte = part[i] as number;
      codes[2 * i] = DIGITS[byte >> 4] as number;
      codes[2 * i + 1] = DIGITS[byte & 0x0f] as number;
    }
    text += String.fromCharCode(...codes);
  }
  return text;
}
