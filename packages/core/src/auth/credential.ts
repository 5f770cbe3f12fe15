/**
 * The credential contract (docs/design.md). The host answers `lookup(user)`; core decides.
 *
 * - `clear`: the shared secret in clear. Needed for APOP (RFC 1939 section 7) and CRAM-MD5
 *   (RFC 2195), which prove knowledge of the secret without sending it.
 * - `hashed`: a one-way hash the host can check a password against (for USER/PASS, PLAIN,
 *   LOGIN). APOP and CRAM-MD5 fail for such a user exactly like a wrong digest.
 * - `null`: no such user. Fails exactly like a wrong password.
 */
export type Credential =
  | { readonly kind: "clear"; readonly secret: string }
  | { readonly kind: "hashed"; verify(password: string): boolean | Promise<boolean> };

/** Looks a user up. May be synchronous or asynchronous. */
export interface Authenticator {
  /** The user's credential, or null for an unknown user (the client sees the same -ERR). */
  lookup(user: string): Credential | null | Promise<Credential | null>;
}
