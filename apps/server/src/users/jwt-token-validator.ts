import { readFile } from "node:fs/promises";
import type { TokenValidator, TokenVerdict } from "@apop/core";
import { DEFAULT_OAUTH_USER_CLAIMS } from "@apop/core/internal";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from "jose";

/** The `oauth` settings: where the keys are, and what a token must say. */
export interface JwtValidatorOptions {
  /** A JWKS file (absolute path) or an `https://` URL (fetched and cached by `jose`). */
  readonly jwks: string;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** The claim that must equal the user; default the first of `email`, `sub` present. */
  readonly claim?: string | undefined;
}

/** The shipped validator, and how to re-read its keys after a rotation. */
export interface JwtTokenValidator {
  readonly validate: TokenValidator;
  /**
   * Reads the JWKS again (SIGHUP): a file is re-read and parsed, a URL's cache is dropped so the
   * next token fetches it afresh. Rejects, keeping the keys it had, when the file cannot be read
   * or is not a JWKS, so a rotation caught half-written never locks every OAuth user out.
   */
  reload(): Promise<void>;
}

type KeySet = ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;

async function loadKeys(jwks: string): Promise<KeySet> {
  if (/^https?:\/\//i.test(jwks)) return createRemoteJWKSet(new URL(jwks));
  const parsed = JSON.parse(await readFile(jwks, "utf8")) as JSONWebKeySet;
  // createLocalJWKSet checks the shape: a file without a `keys` array is refused here, at load.
  return createLocalJWKSet(parsed);
}

/**
 * The shipped `TokenValidator`: a JWT (RFC 7519) signed by a key of the JWKS, not expired
 * (`exp`, `nbf`), from `issuer` for `audience` when those are set, whose user claim equals the
 * user named in the exchange. Every failure is RFC 7628's `invalid_token`, with the reason for
 * the log. The JWKS is read at start and again at each `reload()`.
 */
export async function createJwtTokenValidator(
  options: JwtValidatorOptions,
): Promise<JwtTokenValidator> {
  let keys = await loadKeys(options.jwks);
  const reload = async (): Promise<void> => {
    keys = await loadKeys(options.jwks);
  };
  const validate: TokenValidator = async ({ user, token }): Promise<TokenVerdict> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      }));
    } catch (error) {
      const reason =
        error instanceof errors.JWTExpired
          ? "the token has expired"
          : error instanceof errors.JWTClaimValidationFailed
            ? `the token's ${error.claim} claim is wrong`
            : `the token does not verify: ${(error as Error).message}`;
      return { ok: false, status: "invalid_token", reason };
    }
    const claim =
      options.claim ?? DEFAULT_OAUTH_USER_CLAIMS.find((name) => payload[name] !== undefined);
    const named = claim === undefined ? undefined : payload[claim];
    if (named !== user) {
      return {
        ok: false,
        status: "invalid_token",
        reason: `the token's ${claim ?? "user"} claim does not name ${user}`,
      };
    }
    return { ok: true };
  };
  return { validate, reload };
}
