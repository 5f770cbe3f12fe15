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

/**
 * The shipped `TokenValidator`: a JWT (RFC 7519) signed by a key of the JWKS, not expired
 * (`exp`, `nbf`), from `issuer` for `audience` when those are set, whose user claim equals the
 * user named in the exchange. Every failure is RFC 7628's `invalid_token`, with the reason for
 * the log. A JWKS file is read once, at start (and at each SIGHUP, which makes a new one).
 */
export async function createJwtTokenValidator(
  options: JwtValidatorOptions,
): Promise<TokenValidator> {
  const keys = /^https?:\/\//i.test(options.jwks)
    ? createRemoteJWKSet(new URL(options.jwks))
    : createLocalJWKSet(JSON.parse(await readFile(options.jwks, "utf8")) as JSONWebKeySet);
  return async ({ user, token }): Promise<TokenVerdict> => {
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
}
