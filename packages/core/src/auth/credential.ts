import type { ScramCredential } from "./scram/scram-credential.ts";

/**
 * The credential contract (docs/design.md). The host answers `lookup(user)`; core decides.
 *
 * - `clear`: the shared secret in clear. Needed for APOP (RFC 1939 section 7) and CRAM-MD5
 *   (RFC 2195), which prove knowledge of the secret without sending it; SCRAM derives its
 *   keys from it at login.
 * - `hashed`: a one-way hash the host can check a password against (for USER/PASS, PLAIN,
 *   LOGIN). APOP, CRAM-MD5 and SCRAM fail for such a user exactly like a wrong digest.
 * - `scram-sha-256`: the salt, iteration count, StoredKey and ServerKey of RFC 5802 section 3
 *   (Dovecot's `{SCRAM-SHA-256}` scheme). Serves SCRAM-SHA-256(-PLUS), and USER/PASS, PLAIN
 *   and LOGIN (the password is checked by deriving StoredKey); never APOP or CRAM-MD5.
 * - `null`: no such user. Fails exactly like a wrong password.
 */
export type Credential =
  | { readonly kind: "clear"; readonly secret: string }
  | { readonly kind: "hashed"; verify(password: string): boolean | Promise<boolean> }
  | ScramCredential;

/** Looks a user up. May be synchronous or asynchronous. */
export interface Authenticator {
  /** The user's credential, or null for an unknown user (the client sees the same -ERR). */
  lookup(user: string): Credential | null | Promise<Credential | null>;
  /**
   * Whether this source can hold clear secrets at all. CAPA and the greeting come before any
   * user is named, so they depend on the source, not the user: when false, the server offers
   * neither the APOP timestamp nor CRAM-MD5, which only a clear secret can check. Read for
   * every connection, so it may change (a reloaded user file). Default true.
   */
  readonly clearSecrets?: boolean;
}
