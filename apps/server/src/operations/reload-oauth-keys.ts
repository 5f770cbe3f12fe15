import type { Logger } from "../serving/json-logger.ts";
import type { JwtTokenValidator } from "../users/jwt-token-validator.ts";

/**
 * Re-reads the JWKS after a key rotation (SIGHUP). A file that cannot be read or parsed keeps
 * the keys already loaded, and says why, like a bad certificate at reload.
 */
export async function reloadOauthKeys(options: {
  tokenValidator: JwtTokenValidator | undefined;
  jwks: string | undefined;
  logger: Logger;
}): Promise<void> {
  const { tokenValidator, jwks, logger } = options;
  if (tokenValidator === undefined) return;
  try {
    await tokenValidator.reload();
    logger.log("info", "oauth-keys-reloaded", { jwks });
  } catch (error) {
    logger.log("error", "oauth-keys-reload-failed", {
      jwks,
      problem: (error as Error).message,
      kept: "the keys already loaded",
    });
  }
}
