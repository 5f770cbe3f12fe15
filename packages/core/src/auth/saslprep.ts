/**
 * SASLprep (RFC 4013): the stringprep profile (RFC 3454) that SCRAM applies to user names and
 * passwords (RFC 5802 section 2.2, `Normalize`), so that two programs derive the same bytes
 * from what a person typed: a no-break space becomes a space, a soft hyphen disappears, and a
 * compatibility form (`ﬁ`, full-width `Ａ`) becomes its NFKC equivalent.
 *
 * The tables are RFC 3454's, written as code point ranges, with two documented departures,
 * both because JavaScript exposes Unicode through `String.prototype.normalize` and property
 * escapes of the engine's current Unicode version, not Unicode 3.2:
 * - NFKC and "unassigned" (table A.1, checked only for stored strings) follow the engine's
 *   Unicode version, so a character assigned after 3.2 is accepted in a stored string;
 * - the left-to-right set of the bidi rule (table D.2) is every letter or spacing mark that is
 *   not right-to-left (table D.1 is listed in full below). Strings without right-to-left
 *   characters, which is nearly every password, never reach that rule.
 */

/** Why a string was refused; the text is for logs and error messages, never for the wire. */
export class SaslprepError extends RangeError {
  override readonly name = "SaslprepError";
}

type Range = readonly [number, number];

/** B.1: commonly mapped to nothing (RFC 4013 section 2.2). */
const MAPPED_TO_NOTHING: readonly Range[] = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x1806, 0x1806],
  [0x180b, 0x180d],
  [0x200b, 0x200d],
  [0x2060, 0x2060],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
];

/** C.1.2: non-ASCII space characters, mapped to SPACE (RFC 4013 section 2.1). */
const NON_ASCII_SPACE: readonly Range[] = [
  [0x00a0, 0x00a0],
  [0x1680, 0x1680],
  [0x2000, 0x200b],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
];

/** C.2.1 to C.9: prohibited output (RFC 4013 section 2.3), C.1.2 already mapped away. */
const PROHIBITED: readonly Range[] = [
  // C.2.1 ASCII control characters
  [0x0000, 0x001f],
  [0x007f, 0x007f],
  // C.2.2 non-ASCII control characters
  [0x0080, 0x009f],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200c, 0x200d],
  [0x2028, 0x2029],
  [0x2060, 0x2063],
  [0x206a, 0x206f],
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffc],
  [0x1d173, 0x1d17a],
  // C.3 private use
  [0xe000, 0xf8ff],
  [0xf0000, 0xffffd],
  [0x100000, 0x10fffd],
  // C.4 non-character code points (the plane-final pairs are checked in `isNonCharacter`)
  [0xfdd0, 0xfdef],
  // C.5 surrogate codes
  [0xd800, 0xdfff],
  // C.6 inappropriate for plain text
  [0xfff9, 0xfffd],
  // C.7 inappropriate for canonical representation
  [0x2ff0, 0x2ffb],
  // C.8 change display properties or are deprecated
  [0x0340, 0x0341],
  [0x200e, 0x200f],
  [0x202a, 0x202e],
  [0x206a, 0x206f],
  // C.9 tagging characters
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
];

/** D.1: characters with bidirectional property R or AL. */
const RAND_AL_CAT: readonly Range[] = [
  [0x05be, 0x05be],
  [0x05c0, 0x05c0],
  [0x05c3, 0x05c3],
  [0x05d0, 0x05ea],
  [0x05f0, 0x05f4],
  [0x061b, 0x061b],
  [0x061f, 0x061f],
  [0x0621, 0x063a],
  [0x0640, 0x064a],
  [0x066d, 0x066f],
  [0x0671, 0x06d5],
  [0x06dd, 0x06dd],
  [0x06e5, 0x06e6],
  [0x06fa, 0x06fe],
  [0x0700, 0x070d],
  [0x0710, 0x0710],
  [0x0712, 0x072c],
  [0x0780, 0x07a5],
  [0x07b1, 0x07b1],
  [0x200f, 0x200f],
  [0xfb1d, 0xfb1d],
  [0xfb1f, 0xfb28],
  [0xfb2a, 0xfb36],
  [0xfb38, 0xfb3c],
  [0xfb3e, 0xfb3e],
  [0xfb40, 0xfb41],
  [0xfb43, 0xfb44],
  [0xfb46, 0xfbb1],
  [0xfbd3, 0xfd3d],
  [0xfd50, 0xfd8f],
  [0xfd92, 0xfdc7],
  [0xfdf0, 0xfdfc],
  [0xfe70, 0xfe74],
  [0xfe76, 0xfefc],
];

/** Letters and spacing marks of the right-to-left scripts are never LCat. */
const LEFT_TO_RIGHT = /^[\p{L}\p{Mc}]$/u;
const RIGHT_TO_LEFT_SCRIPT =
  /^[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}]$/u;
const UNASSIGNED = /^\p{Cn}$/u;

function inRanges(code: number, ranges: readonly Range[]): boolean {
  for (const [low, high] of ranges) if (code >= low && code <= high) return true;
  return false;
}

/** C.4's U+xFFFE and U+xFFFF of every plane (U+FDD0..U+FDEF is in PROHIBITED). */
function isNonCharacter(code: number): boolean {
  return (code & 0xfffe) === 0xfffe;
}

function isRandAL(code: number): boolean {
  return inRanges(code, RAND_AL_CAT);
}

function isL(code: number): boolean {
  const char = String.fromCodePoint(code);
  return LEFT_TO_RIGHT.test(char) && !isRandAL(code) && !RIGHT_TO_LEFT_SCRIPT.test(char);
}

function codePoints(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) as number;
    out.push(code);
    if (code > 0xffff) i++;
  }
  return out;
}

/**
 * Prepares `text` with SASLprep (RFC 4013 sections 2.1 to 2.5) and returns the result.
 *
 * - `stored: false` (the default) is a "query" (RFC 3454 section 7): unassigned code points are
 *   let through, as SCRAM's `Normalize` does at login (RFC 5802 section 2.2). `stored: true`
 *   refuses them, for values about to be written to a user file.
 * - The result may be empty (a string of soft hyphens): the caller decides whether that is a
 *   valid user name or password (SCRAM refuses both).
 *
 * Throws `SaslprepError` for a prohibited character (a control character, a private-use or
 * non-character code point, a lone surrogate, a bidi or tag control), or a string that mixes
 * right-to-left and left-to-right characters or does not start and end with a right-to-left
 * one when it has any (RFC 3454 section 6). ASCII strings without control characters are
 * returned unchanged.
 */
export function saslprep({ text, stored = false }: { text: string; stored?: boolean }): string {
  // Fast path: printable ASCII maps to itself, and NFKC leaves it alone.
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  let mapped = "";
  for (const code of codePoints(text)) {
    if (inRanges(code, MAPPED_TO_NOTHING)) continue;
    mapped += inRanges(code, NON_ASCII_SPACE) ? " " : String.fromCodePoint(code);
  }
  // Lone surrogates survive normalize() untouched; they are refused below (C.5).
  const normalized = mapped.normalize("NFKC");
  const codes = codePoints(normalized);
  let hasRandAL = false;
  let hasL = false;
  for (const code of codes) {
    if (inRanges(code, PROHIBITED) || isNonCharacter(code)) {
      throw new SaslprepError(
        `SASLprep: U+${code.toString(16).toUpperCase().padStart(4, "0")} is not allowed (RFC 4013 section 2.3)`,
      );
    }
    if (stored && UNASSIGNED.test(String.fromCodePoint(code))) {
      throw new SaslprepError(
        `SASLprep: U+${code.toString(16).toUpperCase().padStart(4, "0")} is unassigned, so it cannot be stored (RFC 4013 section 2.5)`,
      );
    }
    if (isRandAL(code)) hasRandAL = true;
    else if (isL(code)) hasL = true;
  }
  if (hasRandAL) {
    const first = codes[0] as number;
    const last = codes[codes.length - 1] as number;
    if (hasL || !isRandAL(first) || !isRandAL(last)) {
      throw new SaslprepError(
        "SASLprep: a string with right-to-left characters must start and end with one and hold no left-to-right ones (RFC 3454 section 6)",
      );
    }
  }
  return normalized;
}
