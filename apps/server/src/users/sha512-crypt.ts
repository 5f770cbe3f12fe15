import { createHash, timingSafeEqual } from "node:crypto";

/** The alphabet of crypt(3) hashes: not RFC 4648 base64, and in a different order. */
const ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const DEFAULT_ROUNDS = 5000;
const MIN_ROUNDS = 1000;
const MAX_ROUNDS = 999_999_999;
const MAX_SALT = 16;

/** A stored `$6$[rounds=N$]salt$hash`, as glibc's crypt(3) and Dovecot's SHA512-CRYPT write it. */
const STORED = /^\$6\$(?:rounds=(\d{1,9})\$)?([^$:\n]{0,16})\$([./0-9A-Za-z]{86})$/;

/**
 * SHA-512-based crypt (Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512", the `$6$` of
 * glibc, Dovecot's `{SHA512-CRYPT}`), computed with Node's SHA-512. `setting` is `$6$salt` or
 * `$6$rounds=N$salt` (a trailing `$hash` is ignored); the salt is cut to 16 characters and
 * `rounds` kept within 1000..999999999, as the specification says. Returns the full
 * `$6$...$hash` string.
 */
export function sha512Crypt(options: { password: string; setting: string }): string {
  const match = /^\$6\$(?:rounds=(\d+)\$)?([^$]*)/.exec(options.setting);
  if (match === null) throw new RangeError("a SHA512-CRYPT setting starts with $6$");
  const custom = match[1] !== undefined;
  const rounds = Math.min(
    MAX_ROUNDS,
    Math.max(MIN_ROUNDS, custom ? Number(match[1]) : DEFAULT_ROUNDS),
  );
  const saltText = (match[2] as string).slice(0, MAX_SALT);
  const p = Buffer.from(options.password, "utf8");
  const s = Buffer.from(saltText, "utf8");

  const b = sha512(p, s, p);
  const a = createHash("sha512").update(p).update(s);
  let left = p.length;
  for (; left > 64; left -= 64) a.update(b);
  a.update(b.subarray(0, left));
  for (let bits = p.length; bits > 0; bits >>= 1) a.update(bits & 1 ? b : p);
  let c = a.digest();

  const dp = sha512(...Array<Buffer>(p.length).fill(p));
  const pSeq = repeatTo(dp, p.length);
  const ds = sha512(...Array<Buffer>(16 + (c[0] as number)).fill(s));
  const sSeq = repeatTo(ds, s.length);

  for (let i = 0; i < rounds; i++) {
    const round = createHash("sha512");
    round.update(i & 1 ? pSeq : c);
    if (i % 3 !== 0) round.update(sSeq);
    if (i % 7 !== 0) round.update(pSeq);
    round.update(i & 1 ? c : pSeq);
    c = round.digest();
  }
  const prefix = custom ? `$6$rounds=${rounds}$` : "$6$";
  return `${prefix}${saltText}$${encodeCrypt64(c)}`;
}

/** Whether `stored` is a well-formed `$6$` hash this module can check; else why not. */
export function checkSha512CryptHash(stored: string): string | null {
  const match = STORED.exec(stored);
  if (match === null) return "expected $6$[rounds=N$]salt$ followed by 86 hash characters";
  const rounds = match[1] === undefined ? DEFAULT_ROUNDS : Number(match[1]);
  if (rounds < MIN_ROUNDS || rounds > MAX_ROUNDS) {
    return `rounds must be from ${MIN_ROUNDS} to ${MAX_ROUNDS}`;
  }
  return null;
}

/** Checks a password against a stored `$6$` hash, comparing in constant time. */
export function verifySha512Crypt(options: { password: string; stored: string }): boolean {
  if (checkSha512CryptHash(options.stored) !== null) return false;
  const computed = Buffer.from(
    sha512Crypt({ password: options.password, setting: options.stored }),
  );
  const expected = Buffer.from(options.stored);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** A fresh salt of 16 characters from the crypt alphabet. */
export function sha512CryptSalt(randomBytes: (length: number) => Uint8Array): string {
  return [...randomBytes(MAX_SALT)].map((byte) => ITOA64[byte & 0x3f]).join("");
}

function sha512(...parts: Buffer[]): Buffer {
  const hash = createHash("sha512");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(64, length - i));
  return out;
}

/**
 * The specification's byte order: 21 groups of three bytes taken 21 apart and rotated, then
 * the last byte alone; each group is written as four characters, low bits first.
 */
function encodeCrypt64(digest: Buffer): string {
  let out = "";
  const emit = (b2: number, b1: number, b0: number, chars: number): void => {
    let word = (b2 << 16) | (b1 << 8) | b0;
    for (let i = 0; i < chars; i++) {
      out += ITOA64[word & 0x3f];
      word >>= 6;
    }
  };
  const at = (i: number): number => digest[i] as number;
  for (let k = 0; k < 21; k++) {
    const [x, y, z] = [at(k), at(k + 21), at(k + 42)];
    if (k % 3 === 0) emit(x, y, z, 4);
    else if (k % 3 === 1) emit(y, z, x, 4);
    else emit(z, x, y, 4);
  }
  emit(0, 0, at(63), 2);
  return out;
}
