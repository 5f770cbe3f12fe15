/**
 * APOP (RFC 1939 section 7): the server's greeting carries a unique timestamp in msg-id form
 * (`<...@...>`); the client proves it knows the shared secret by sending
 * `MD5(timestamp || secret)` as 32 lower-case hex digits, and the secret never crosses the wire.
 *
 * Both ends live here: the server makes the timestamp and checks the digest, the client
 * extracts the timestamp and computes the digest.
 */
import { toHex } from "../bytes/hex.ts";
import { encodeUtf8 } from "../bytes/utf8.ts";
import { md5 } from "./md5.ts";

/**
 * The longest timestamp accepted or made, brackets included. RFC 1939 sets no bound beyond the
 * 512-octet response line (section 3); 255 leaves room for `+OK` and a greeting text, and is
 * far above what real servers send (Dovecot's is about 60).
 */
export const MAX_APOP_TIMESTAMP_LENGTH = 255;

/** The fewest random bytes `createApopTimestamp` takes: 128 bits, so a timestamp is never guessed. */
export const MIN_APOP_RANDOM_BYTES = 16;

/**
 * The longest host name `createApopTimestamp` takes: what is left of the timestamp's 255
 * characters once `<`, a 16-digit clock (2^53 ms), `.`, 16 random bytes in hex, `@` and `>` are
 * in. 203 is below DNS's 253, and far above any real host name.
 */
export const MAX_APOP_HOST_NAME_LENGTH = MAX_APOP_TIMESTAMP_LENGTH - (1 + 16 + 1 + 32 + 1 + 1);

/**
 * Why `hostName` cannot be the host name of an APOP timestamp (`<clock.random@hostName>`), or
 * null when it can. The one rule every configuration layer asks (`createApopTimestamp`, the
 * server host's options, apop-server's config schema): a name that passes here never fails at
 * the greeting.
 *
 * The timestamp must be a strict msg-id (RFC 1939 section 7; RFC 5322 section 3.6.4) or
 * careful clients refuse APOP (`extractApopTimestamp`, CVE-2007-1558): so the name is
 * non-empty printable ASCII (0x21-0x7E) without `<` and `>` (they would end the msg-id) and
 * without `@` (the msg-id has exactly one, before the name), at most
 * `MAX_APOP_HOST_NAME_LENGTH` characters.
 */
export function apopHostNameProblem(hostName: string): string | null {
  if (typeof hostName !== "string" || hostName.length === 0) return "the host name is empty";
  if (hostName.length > MAX_APOP_HOST_NAME_LENGTH) {
    return `the host name is ${hostName.length} characters long, over the limit of ${MAX_APOP_HOST_NAME_LENGTH}`;
  }
  for (let i = 0; i < hostName.length; i++) {
    const code = hostName.charCodeAt(i);
    if (code < 0x21 || code > 0x7e || code === 0x3c || code === 0x3e || code === 0x40) {
      return `the host name ${JSON.stringify(hostName)} may hold only printable ASCII without '<', '>', '@' or spaces`;
    }
  }
  return null;
}

/** The length of an APOP digest: MD5's 16 bytes in hex. */
const DIGEST_LENGTH = 32;

/**
 * The APOP digest (RFC 1939 section 7): 32 lower-case hex digits of MD5 over the timestamp,
 * brackets included, followed directly by the secret.
 *
 * Both are encoded as UTF-8: a timestamp is ASCII anyway (`extractApopTimestamp` refuses
 * anything else), and UTF-8 is the encoding RFC 6856 gives non-ASCII secrets.
 *
 * @example apopDigest({ timestamp: "<1896.697170952@dbc.mtview.ca.us>", secret: "tanstaaf" })
 *   // "c4c9334bac560ecc979e58001b3e22fb"
 */
export function apopDigest({ timestamp, secret }: { timestamp: string; secret: string }): string {
  return toHex(md5(encodeUtf8(timestamp + secret)));
}

/**
 * Makes the server's greeting timestamp: `<now.RANDOM@host>`, with `now` the clock in whole
 * milliseconds and RANDOM the random bytes in lower-case hex.
 *
 * RFC 1939 section 7 asks only that it differ on every greeting. It must also be unpredictable:
 * a timestamp an attacker can foresee lets them collect a digest for it in advance and replay
 * it (Twisted's comes from a non-cryptographic PRNG). So at least 16 random bytes from a
 * cryptographic source are required; the clock is kept too, so that even a host that feeds the
 * same bytes twice repeats a timestamp only within the same millisecond.
 *
 * Throws `RangeError` (a configuration mistake, better found at startup than hidden) when:
 * - `now` is not a finite, non-negative number;
 * - `random` has fewer than 16 bytes;
 * - `host` fails `apopHostNameProblem`;
 * - the result would exceed `MAX_APOP_TIMESTAMP_LENGTH` (more random bytes than the minimum).
 */
export function createApopTimestamp({
  now,
  random,
  host,
}: {
  now: number;
  random: Uint8Array;
  host: string;
}): string {
  if (!Number.isFinite(now) || now < 0) {
    throw new RangeError(`APOP timestamp: now must be a non-negative time in ms, got ${now}`);
  }
  if (random.length < MIN_APOP_RANDOM_BYTES) {
    throw new RangeError(
      `APOP timestamp: need at least ${MIN_APOP_RANDOM_BYTES} random bytes, got ${random.length}`,
    );
  }
  const problem = apopHostNameProblem(host);
  if (problem !== null) throw new RangeError(`APOP timestamp: ${problem}`);
  // Joined, not a template: a template makes a rope of one node per piece, and the server keeps
  // this string for the whole session (see `toHex`).
  const timestamp = ["<", String(Math.floor(now)), ".", toHex(random), "@", host, ">"].join("");
  if (timestamp.length > MAX_APOP_TIMESTAMP_LENGTH) {
    throw new RangeError(
      `APOP timestamp: ${timestamp.length} characters is over the limit of ${MAX_APOP_TIMESTAMP_LENGTH}; use a shorter host or fewer random bytes`,
    );
  }
  return timestamp;
}

/** What `extractApopTimestamp` found: the timestamp, or why the greeting has no usable one. */
export type ApopTimestampResult =
  | { readonly ok: true; readonly timestamp: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Finds the APOP timestamp in the text of a server greeting (after `+OK `), strictly.
 *
 * Why strict: with a man in the middle choosing the "timestamp", a client that signs any
 * bytes leaks its secret a few characters at a time through MD5 collisions (Leurent 2007,
 * CVE-2007-1558). The attack needs timestamps with arbitrary, often non-printable, bytes.
 * fetchmail fixed it by accepting only msg-id-shaped timestamps; Python's poplib still
 * accepts control and 8-bit bytes and greedily reads `<a> junk <b>` as one timestamp.
 *
 * Accepted only if all hold:
 * - the text has exactly one `<` and exactly one `>`, and `<` comes first;
 * - between them only printable ASCII (0x21-0x7E): no space, control or 8-bit characters;
 * - exactly one `@`, with something on both sides (the msg-id's `local@domain`);
 * - at most `MAX_APOP_TIMESTAMP_LENGTH` characters, brackets included.
 *
 * The text is a string with one character per octet as received (8-bit octets as
 * U+0080-U+00FF), which is how it is checked; an accepted timestamp is pure ASCII.
 * A greeting without any `<` means the server does not offer APOP (RFC 1939 section 7).
 */
export function extractApopTimestamp(greetingText: string): ApopTimestampResult {
  const open = greetingText.indexOf("<");
  if (open === -1) return fail("the greeting has no timestamp: no '<'");
  if (greetingText.indexOf("<", open + 1) !== -1) {
    return fail("the greeting has more than one '<'; the timestamp would be ambiguous");
  }
  const close = greetingText.indexOf(">");
  if (close === -1) return fail("the timestamp is not closed: no '>'");
  if (close < open) return fail("a '>' comes before the '<' of the timestamp");
  if (greetingText.indexOf(">", close + 1) !== -1) {
    return fail("the greeting has more than one '>'; the timestamp would be ambiguous");
  }
  const timestamp = greetingText.slice(open, close + 1);
  if (timestamp.length > MAX_APOP_TIMESTAMP_LENGTH) {
    return fail(
      `the timestamp is ${timestamp.length} characters long; at most ${MAX_APOP_TIMESTAMP_LENGTH} are accepted`,
    );
  }
  let at = -1;
  for (let i = 1; i < timestamp.length - 1; i++) {
    const code = timestamp.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) {
      const shown = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
      return fail(`the timestamp contains ${shown}; only printable ASCII is allowed`);
    }
    if (code === 0x40) {
      if (at !== -1) return fail("the timestamp has more than one '@'");
      at = i;
    }
  }
  if (at === -1) return fail("the timestamp has no '@'; it is not a msg-id");
  if (at === 1) return fail("the timestamp has nothing before its '@'");
  if (at === timestamp.length - 2) return fail("the timestamp has nothing after its '@'");
  return { ok: true, timestamp };
}

function fail(reason: string): ApopTimestampResult {
  return { ok: false, reason };
}

/**
 * Compares two APOP or CRAM-MD5 digests (32 hex digits, either case on either side) in time
 * that does not depend on where they differ: all 32 positions are always examined, with no
 * early exit, so a client cannot find a valid digest one digit at a time by timing the server.
 *
 * Returns false if either is not exactly 32 hex digits (still examining 32 positions, so a
 * wrong length reveals nothing about the content). Case is folded because RFC 1939 section 7
 * asks clients for lower case but some send upper case.
 */
export function digestsEqual(a: string, b: string): boolean {
  // Non-zero if either length is wrong.
  let bad = (a.length ^ DIGEST_LENGTH) | (b.length ^ DIGEST_LENGTH);
  for (let i = 0; i < DIGEST_LENGTH; i++) {
    // A missing position reads as NaN, and NaN | 0 is 0: not a hex digit, so it counts as bad.
    const x = a.charCodeAt(i) | 0;
    const y = b.charCodeAt(i) | 0;
    bad |= notHexDigit(x) | notHexDigit(y);
    // Setting bit 0x20 maps A-F onto a-f and leaves 0-9 alone; valid digits are checked above.
    bad |= (x | 0x20) ^ (y | 0x20);
  }
  return bad === 0;
}

/**
 * 0 for 0-9, A-F, a-f; -1 otherwise. Computed with arithmetic, not branches: `(c - lo) | (hi - c)`
 * is negative exactly when `c` is outside `lo..hi`, and `>> 31` spreads the sign bit.
 */
function notHexDigit(code: number): number {
  const digit = ((code - 0x30) | (0x39 - code)) >> 31;
  const upper = ((code - 0x41) | (0x46 - code)) >> 31;
  const lower = ((code - 0x61) | (0x66 - code)) >> 31;
  return digit & upper & lower;
}
