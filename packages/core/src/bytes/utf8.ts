/**
 * UTF-8 by hand, because core has no `TextEncoder`/`TextDecoder` (docs/design.md: nothing from
 * the world inside core). Used where RFCs put UTF-8 on the wire: SASL PLAIN fields (RFC 4616
 * section 2), the APOP secret, and UTF8 mode (RFC 6856).
 */

const REPLACEMENT_CHARACTER = 0xfffd;
/** How many UTF-16 code units `decodeUtf8` turns into a string at once (bounds the argument list). */
const DECODE_CHUNK = 4096;

/**
 * Encodes a string as UTF-8 (RFC 3629).
 *
 * A lone surrogate (a string that is not well-formed UTF-16) becomes U+FFFD, exactly as
 * the WHATWG text encoder and Node's UTF-8 buffers do, so both sides of a comparison encode alike.
 */
export function encodeUtf8(text: string): Uint8Array {
  // Nearly every string encoded here is ASCII (every status line, the APOP digest's input), so
  // one pass that copies code units and gives up at the first one past 0x7F comes first: it
  // costs a fraction of the general path's two passes of a code point per character.
  const length = text.length;
  const ascii = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x80) return encodeAny(text);
    ascii[i] = unit;
  }
  return ascii;
}

/** `encodeUtf8` for a string that is not all ASCII. */
function encodeAny(text: string): Uint8Array {
  const out = new Uint8Array(utf8Length(text));
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    let code = codePointAt(text, i);
    if (code > 0xffff) i++;
    else if (code >= 0xd800 && code <= 0xdfff) code = REPLACEMENT_CHARACTER;
    if (code < 0x80) {
      out[at++] = code;
    } else if (code < 0x800) {
      out[at++] = 0xc0 | (code >> 6);
      out[at++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[at++] = 0xe0 | (code >> 12);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    } else {
      out[at++] = 0xf0 | (code >> 18);
      out[at++] = 0x80 | ((code >> 12) & 0x3f);
      out[at++] = 0x80 | ((code >> 6) & 0x3f);
      out[at++] = 0x80 | (code & 0x3f);
    }
  }
  return out;
}

/**
 * Decodes UTF-8 strictly: returns `null` for anything that is not well-formed UTF-8
 * (RFC 3629 section 4, the Unicode Standard table 3-7), never a replacement character.
 * Rejected: stray continuation bytes, truncated sequences, overlong forms (C0, C1, E0 80-9F,
 * F0 80-8F), UTF-16 surrogates (ED A0-BF), code points above U+10FFFF (F4 90-BF, F5-FF).
 *
 * Strict because the result is compared with stored secrets and user names: two different
 * byte strings must never decode to the same text.
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  let result = "";
  const units: number[] = [];
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const b0 = bytes[i] as number;
    let code: number;
    if (b0 < 0x80) {
      code = b0;
      i += 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      if (i + 1 >= length) return null;
      const b1 = bytes[i + 1] as number;
      if ((b1 & 0xc0) !== 0x80) return null;
      code = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
      i += 2;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      if (i + 2 >= length) return null;
      const b1 = bytes[i + 1] as number;
      const b2 = bytes[i + 2] as number;
      // The second byte's range excludes overlongs after E0 and surrogates after ED.
      const low = b0 === 0xe0 ? 0xa0 : 0x80;
      const high = b0 === 0xed ? 0x9f : 0xbf;
      if (b1 < low || b1 > high || (b2 & 0xc0) !== 0x80) return null;
      code = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      i += 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      if (i + 3 >= length) return null;
      const b1 = bytes[i + 1] as number;
      const b2 = bytes[i + 2] as number;
      const b3 = bytes[i + 3] as number;
      // Excludes overlongs after F0 and code points past U+10FFFF after F4.
      const low = b0 === 0xf0 ? 0x90 : 0x80;
      const high = b0 === 0xf4 ? 0x8f : 0xbf;
      if (b1 < low || b1 > high || (b2 & 0xc0) !== 0x80 || (b3 & 0xc0) !== 0x80) return null;
      code = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      i += 4;
    } else {
      // 80-BF (a continuation byte with no lead), C0-C1 (always overlong), F5-FF (never used).
      return null;
    }
    if (code > 0xffff) {
      code -= 0x10000;
      units.push(0xd800 | (code >> 10), 0xdc00 | (code & 0x3ff));
    } else {
      units.push(code);
    }
    if (units.length >= DECODE_CHUNK) {
      result += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return result + String.fromCharCode(...units);
}

/** The number of octets `encodeUtf8` will write. */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const code = codePointAt(text, i);
    if (code > 0xffff) {
      length += 4;
      i++;
    } else {
      length += code < 0x80 ? 1 : code < 0x800 ? 2 : 3;
    }
  }
  return length;
}

/** The code point at `i`: a surrogate pair combined, a lone surrogate as itself. */
function codePointAt(text: string, i: number): number {
  const unit = text.charCodeAt(i);
  if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff)
      return 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
  }
  return unit;
}
