/**
 * POP3 lines are octets (RFC 1939 section 3). Core converts them by hand, so it needs neither
 * the WHATWG text codecs nor Node's buffers: the protocol's own text (keywords, numbers, status indicators)
 * is ASCII, and arbitrary octets round-trip through latin-1.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const DOT = 0x2e;
export const CRLF: Uint8Array = Uint8Array.of(CR, LF);

/** Reads octets as latin-1 (each octet one UTF-16 code unit, 0-255). Never fails. */
export function latin1ToString(bytes: Uint8Array): string {
  let text = "";
  // String.fromCharCode takes arguments; keep each call well below engines' argument limits.
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

/**
 * Writes a string whose code units are all 0-255 as octets. Throws `RangeError` on a wider
 * code unit, because silently truncating one would put different bytes on the wire.
 */
export function stringToLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit > 0xff) throw new RangeError(`not a latin-1 string at index ${i}`);
    bytes[i] = unit;
  }
  return bytes;
}

/** True when every octet is printable ASCII, 0x21-0x7E (RFC 1939 section 7, RFC 2449 section 9). */
export function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x21 || unit > 0x7e) return false;
  }
  return true;
}

/** True when no character is past U+007F: the text is ASCII, as POP3 is before UTF8 (RFC 6856 section 2). */
export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

/** Joins byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
