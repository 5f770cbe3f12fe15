import { toHex } from "../bytes/hex.ts";
import { encodeUtf8 } from "../bytes/utf8.ts";
import { apopDigest, digestsEqual } from "./apop.ts";
import type { Credential } from "./credential.ts";
import { hmacMd5 } from "./hmac-md5.ts";
import type { LoginProof } from "./sasl/sasl-mechanism.ts";
import { prepareLoginString } from "./prepare-login-string.ts";
import { saslprep } from "./saslprep.ts";
import { bytesEqual, saltPassword, scramKeysOf } from "./scram/scram-keys.ts";
import { scramKeysFor, scramProofHolds } from "./scram/scram-server.ts";

/**
 * Stands in for the secret when there is no clear one, so that a hashed or unknown user costs
 * the same digest work as a known one. Its value never matters: the result is false anyway.
 */
const DUMMY_SECRET = "apop-no-such-secret-0123456789abcdef";

/**
 * Checks a login proof (from USER/PASS, APOP or a SASL exchange) against the host's credential
 * for that user (the host looks up, core decides). Every failure is just `false`: no such user, wrong
 * password, wrong digest, or a proof that this kind of credential cannot check.
 *
 * - `password` against `clear`: the UTF-8 bytes of both, SASLprepped where they hold
 *   non-ASCII (RFC 6856 section 2.2, RFC 4616 section 2), are compared in constant time (the time
 *   depends on the length of the password offered, never on the stored one or on where they
 *   differ); against `hashed`: `credential.verify(password)`, which must itself be
 *   constant-time; against `null`: a comparison with a dummy secret, then `false`.
 * - `apop` (RFC 1939 section 7) and `cram-md5` (RFC 2195) need the secret in clear. For a
 *   `hashed` or `null` credential the digest is computed over a dummy secret and compared
 *   anyway, so the answer takes about as long as a wrong digest for a real user, and is `false`.
 *
 * - `scram-sha-256` (RFC 5802 section 3): the ClientProof must come from the stored StoredKey,
 *   or, for a `clear` secret, from the keys derived with the salt and count the exchange
 *   announced. `hashed` and `null` cannot check it: a dummy HMAC, then `false`.
 * - a `scram-sha-256` credential checks a `password` by deriving StoredKey from it (SASLprep'd
 *   first, as at SCRAM login), so SCRAM users can also log in with PLAIN or USER/PASS over TLS;
 *   it never checks APOP or CRAM-MD5 (no clear secret).
 *
 * - `token` (OAUTHBEARER, XOAUTH2): already judged by the host's `TokenValidator` during the
 *   exchange: true unless it was refused, whatever the credential.
 *
 * A `clear` credential with an empty secret is treated like a missing one: it never matches.
 *
 * Not equalised: the time the host's own `lookup` and `verify` take (a slow password hash for
 * `hashed` users is visible next to a fast `null`); that is the host's side of the contract.
 * An exception from `verify` propagates: it is a host failure, not a wrong password.
 */
export async function verifyProof({
  proof,
  credential,
}: {
  proof: LoginProof;
  credential: Credential | null;
}): Promise<boolean> {
  // An empty secret counts as none: with APOP anyone who sees the timestamp could compute
  // MD5(timestamp || ""), and an empty password is never a deliberate one.
  const clear = credential?.kind === "clear" && credential.secret !== "" ? credential.secret : null;
  switch (proof.kind) {
    // The host's TokenValidator accepted the bearer token for this user during the exchange
    // (OAUTHBEARER, XOAUTH2): the user needs no stored secret at all.
    case "token":
      return proof.refused === undefined;
    case "password": {
      if (credential?.kind === "hashed") return (await credential.verify(proof.password)) === true;
      if (credential?.kind === "scram-sha-256")
        return scramPasswordHolds(proof.password, credential);
      // RFC 6856 section 2.2 (USER/PASS) and RFC 4616 section 2 (PLAIN): UTF-8 passwords are
      // compared SASLprepped (as query strings), so NFC and NFD forms are one password.
      const offered = prepareLoginString({ text: proof.password }) ?? proof.password;
      const secret = clear === null ? DUMMY_SECRET : (prepareLoginString({ text: clear }) ?? clear);
      const same = constantTimeEqual(encodeUtf8(offered), encodeUtf8(secret));
      return same && clear !== null;
    }
    case "apop": {
      // RFC 6856 section 2.2: a UTF-8 APOP secret is SASLprepped as a stored string first.
      const secret =
        clear === null
          ? DUMMY_SECRET
          : (prepareLoginString({ text: clear, stored: true }) ?? clear);
      const expected = apopDigest({ timestamp: proof.timestamp, secret });
      return digestsEqual(expected, proof.digest) && clear !== null;
    }
    case "cram-md5": {
      const key = encodeUtf8(clear ?? DUMMY_SECRET);
      const expected = toHex(hmacMd5({ key, message: encodeUtf8(proof.challenge) }));
      return digestsEqual(expected, proof.digest) && clear !== null;
    }
    case "scram-sha-256": {
      const keys = scramKeysFor({ credential, salt: proof.salt, iterations: proof.iterations });
      const storedKey = keys?.storedKey ?? DUMMY_KEY;
      const holds = scramProofHolds({
        storedKey,
        authMessage: proof.authMessage,
        clientProof: proof.clientProof,
      });
      return holds && keys !== null;
    }
    default: {
      const unreachable: never = proof;
      return unreachable;
    }
  }
}

/** The StoredKey a wrong SCRAM proof is checked against when there are no keys. */
const DUMMY_KEY = new Uint8Array(32);

function scramPasswordHolds(
  password: string,
  credential: Extract<Credential, { kind: "scram-sha-256" }>,
): boolean {
  let prepared: string;
  try {
    prepared = saslprep({ text: password });
  } catch {
    return false;
  }
  const salted = saltPassword({
    password: prepared,
    salt: credential.salt,
    iterations: credential.iterations,
  });
  return bytesEqual(scramKeysOf(salted).storedKey, credential.storedKey);
}

/**
 * Compares an offered byte string with a stored one without an early exit. The loop runs over
 * the offered bytes only, reading the stored ones cyclically, so neither the stored length nor
 * the position of the first difference shows in the time taken; the lengths are compared once.
 */
function constantTimeEqual(offered: Uint8Array, stored: Uint8Array): boolean {
  let difference = offered.length ^ stored.length;
  // An empty stored value still needs something to read; the length check already failed.
  const reference = stored.length > 0 ? stored : Uint8Array.of(0);
  for (let i = 0; i < offered.length; i++) {
    difference |= (offered[i] as number) ^ (reference[i % reference.length] as number);
  }
  return difference === 0;
}
