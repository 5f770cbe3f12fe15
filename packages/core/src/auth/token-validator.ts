/**
 * The contract between the OAuth SASL mechanisms (OAUTHBEARER, RFC 7628; XOAUTH2) and the host
 * that checks bearer tokens. Core never reads a token: it hands it, with the user the client
 * named, to the host's validator, and turns the verdict into the mechanism's answer.
 */

/**
 * A validator's verdict. `ok: false` carries RFC 7628 section 3.2.2's error `status`
 * (`invalid_token` for a bad, expired or foreign token, `invalid_request` for a malformed one,
 * `insufficient_scope`), optionally the `scope` the server wants, and a `reason` for the
 * server's log only (never sent).
 */
export type TokenVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly status: "invalid_token" | "invalid_request" | "insufficient_scope";
      readonly scope?: string;
      readonly reason: string;
    };

/**
 * Checks a bearer token for `user`. Must resolve (a verdict), and may reject only when the
 * validator itself cannot work (the key set unreachable): the login then fails with
 * `[SYS/TEMP]`-like treatment by the host, never as a valid token.
 */
export type TokenValidator = (options: {
  readonly user: string;
  readonly token: string;
  /** `OAUTHBEARER` or `XOAUTH2`. */
  readonly mechanism: string;
}) => Promise<TokenVerdict>;

/**
 * The JWT claims (RFC 7519) that name a bearer token's user, by default: the first present
 * counts (`email`, else `sub`), and it must equal the user named in OAUTHBEARER or XOAUTH2.
 */
export const DEFAULT_OAUTH_USER_CLAIMS: readonly string[] = ["email", "sub"];
