/**
 * A SCRAM-SHA-256 credential as a server stores it (RFC 5802 section 3: the salt, the
 * iteration count, StoredKey and ServerKey; never the password), in Dovecot's passwd-file
 * form `iterations,base64(salt),base64(StoredKey),base64(ServerKey)`, which follows the
 * `{SCRAM-SHA-256}` scheme prefix. `doveadm pw -s SCRAM-SHA-256` prints exactly this, and
 * `apop-server add-user --scheme SCRAM-SHA-256` writes it.
 */
import { decodeBase64, encodeBase64 } from "../../bytes/base64.ts";
import { saslprep } from "../saslprep.ts";
import {
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  type ScramKeys,
  saltPassword,
  scramKeysOf,
} from "./scram-keys.ts";

/** A SCRAM-SHA-256 user as stored (Dovecot's `4096,salt,StoredKey,ServerKey`), parsed. */
export interface ScramCredential extends ScramKeys {
  /** The scheme: Dovecot's `{SCRAM-SHA-256}`. */
  readonly kind: "scram-sha-256";
  /** The PBKDF2 iteration count (at least 4096). */
  readonly iterations: number;
  /** The salt the keys were derived with. */
  readonly salt: Uint8Array;
}

/**
 * Parses the part after `{SCRAM-SHA-256}`. Returns null for anything else: not four fields,
 * an iteration count below 4096 (RFC 5802 section 5.1's floor, which Dovecot enforces too) or
 * above `SCRAM_MAX_ITERATIONS`, bad base64, an empty salt, or keys that are not 32 octets.
 */
export function parseScramCredential(text: string): ScramCredential | null {
  const fields = text.split(",");
  if (fields.length !== 4) return null;
  const [count, salt, storedKey, serverKey] = fields as [string, string, string, string];
  if (!/^[1-9][0-9]{0,9}$/.test(count)) return null;
  const iterations = Number(count);
  if (iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) return null;
  const saltBytes = decodeBase64(salt);
  const stored = decodeBase64(storedKey);
  const server = decodeBase64(serverKey);
  if (saltBytes === null || saltBytes.length === 0) return null;
  if (stored?.length !== 32 || server?.length !== 32) return null;
  return {
    kind: "scram-sha-256",
    iterations,
    salt: saltBytes,
    storedKey: stored,
    serverKey: server,
  };
}

/** The passwd-file form, without the `{SCRAM-SHA-256}` prefix. */
export function formatScramCredential(credential: ScramCredential): string {
  return [
    String(credential.iterations),
    encodeBase64(credential.salt),
    encodeBase64(credential.storedKey),
    encodeBase64(credential.serverKey),
  ].join(",");
}

/**
 * Derives a credential from a password, for a user file. The password is SASLprep'd as a
 * stored string (RFC 4013 section 2.5: unassigned code points refused), so what a client
 * later sends through `Normalize` gives the same keys. `salt` should be 16 random octets.
 * Throws `SaslprepError` for a password SASLprep refuses, `RangeError` for an empty one or an
 * iteration count outside 4096..`SCRAM_MAX_ITERATIONS`.
 */
export function createScramCredential({
  password,
  salt,
  iterations = SCRAM_MIN_ITERATIONS,
}: {
  password: string;
  salt: Uint8Array;
  iterations?: number;
}): ScramCredential {
  if (
    !Number.isInteger(iterations) ||
    iterations < SCRAM_MIN_ITERATIONS ||
    iterations > SCRAM_MAX_ITERATIONS
  ) {
    throw new RangeError(
      `SCRAM iteration count must be ${SCRAM_MIN_ITERATIONS}..${SCRAM_MAX_ITERATIONS}`,
    );
  }
  if (salt.length === 0) throw new RangeError("SCRAM salt must not be empty");
  const prepared = saslprep({ text: password, stored: true });
  if (prepared === "") throw new RangeError("SCRAM password must not be empty");
  const keys = scramKeysOf(saltPassword({ password: prepared, salt, iterations }));
  return { kind: "scram-sha-256", iterations, salt: salt.slice(), ...keys };
}
