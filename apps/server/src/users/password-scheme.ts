import type { Credential } from "@apop/core";
import {
  createScramCredential,
  formatScramCredential,
  parseScramCredential,
} from "@apop/core/internal";
import {
  checkSha512CryptHash,
  sha512Crypt,
  sha512CryptSalt,
  verifySha512Crypt,
} from "./sha512-crypt.ts";
import { checkSsha512Hash, ssha512Hash, verifySsha512 } from "./ssha512.ts";

/** The schemes `add-user --scheme` writes. `CLEARTEXT` is read as an alias of `PLAIN`. */
export const WRITABLE_SCHEMES = ["PLAIN", "SSHA512", "SHA512-CRYPT", "SCRAM-SHA-256"] as const;
export type WritableScheme = (typeof WRITABLE_SCHEMES)[number];

/**
 * Turns a users-file password field, `{SCHEME}secret` as Dovecot writes it, into core's
 * `Credential`:
 * - `{PLAIN}` / `{CLEARTEXT}`: `clear`. The only kind APOP and CRAM-MD5 can use: they prove
 *   knowledge of the secret itself (RFC 1939 section 7, RFC 2195).
 * - `{SSHA512}`, `{SHA512-CRYPT}`: `hashed`, checked in constant time. APOP, CRAM-MD5 and
 *   SCRAM then fail for the user exactly like a wrong digest (core's `verifyProof`).
 * - `{SCRAM-SHA-256}`: `iterations,salt,StoredKey,ServerKey` as `doveadm pw -s SCRAM-SHA-256`
 *   writes it; serves SCRAM-SHA-256(-PLUS), and PLAIN and USER/PASS, never APOP or CRAM-MD5.
 *
 * Scheme names are case-insensitive, as in Dovecot. Returns a reason for an unknown scheme,
 * a missing `{...}`, an empty secret or a malformed hash.
 */
export function parseStoredPassword(
  field: string,
): { readonly scheme: string; readonly credential: Credential } | { readonly error: string } {
  const match = /^\{([^}]*)\}(.*)$/s.exec(field);
  if (match === null) {
    return { error: "the password has no {SCHEME} prefix (write {PLAIN}secret, or use add-user)" };
  }
  const scheme = (match[1] as string).toUpperCase();
  const secret = match[2] as string;
  if (secret === "") return { error: `the {${scheme}} password is empty` };
  switch (scheme) {
    case "PLAIN":
    case "CLEARTEXT":
      return { scheme, credential: { kind: "clear", secret } };
    case "SSHA512": {
      const problem = checkSsha512Hash(secret);
      if (problem !== null) return { error: `{SSHA512}: ${problem}` };
      return {
        scheme,
        credential: {
          kind: "hashed",
          verify: (password) => verifySsha512({ password, stored: secret }),
        },
      };
    }
    case "SHA512-CRYPT": {
      const problem = checkSha512CryptHash(secret);
      if (problem !== null) return { error: `{SHA512-CRYPT}: ${problem}` };
      return {
        scheme,
        credential: {
          kind: "hashed",
          verify: (password) => verifySha512Crypt({ password, stored: secret }),
        },
      };
    }
    case "SCRAM-SHA-256": {
      const credential = parseScramCredential(secret);
      if (credential === null) {
        return {
          error:
            "{SCRAM-SHA-256}: expected iterations,salt,StoredKey,ServerKey (4096 or more iterations, base64, 32-octet keys), as doveadm pw -s SCRAM-SHA-256 writes",
        };
      }
      return { scheme, credential };
    }
    default:
      return {
        error: `unknown password scheme {${match[1]}} (apop-server reads PLAIN, CLEARTEXT, SSHA512, SHA512-CRYPT and SCRAM-SHA-256)`,
      };
  }
}

/**
 * The users-file password field for a new password: `{PLAIN}password`, or a fresh salted
 * hash. A clear password cannot hold `:` or a line break (the file's separators); a hashed
 * one can.
 */
export function formatStoredPassword(options: {
  scheme: WritableScheme;
  password: string;
  randomBytes: (length: number) => Uint8Array;
}): string {
  const { scheme, password, randomBytes } = options;
  switch (scheme) {
    case "PLAIN":
      if (/[:\r\n\0]/.test(password)) {
        throw new RangeError(
          "a {PLAIN} password cannot contain ':', a line break or NUL; use --scheme SSHA512",
        );
      }
      return `{PLAIN}${password}`;
    case "SSHA512":
      return `{SSHA512}${ssha512Hash({ password, randomBytes })}`;
    case "SHA512-CRYPT":
      return `{SHA512-CRYPT}${sha512Crypt({ password, setting: `$6$${sha512CryptSalt(randomBytes)}` })}`;
    case "SCRAM-SHA-256":
      // SASLprep'd as a stored string, so every SCRAM client derives the same keys.
      return `{SCRAM-SHA-256}${formatScramCredential(createScramCredential({ password, salt: randomBytes(16) }))}`;
    default: {
      const unreachable: never = scheme;
      return unreachable;
    }
  }
}
