/**
 * What a client should do after the server said `-ERR`, from the response code alone
 * (RFC 2449 section 8, RFC 3206): one classification that every program shares.
 *
 * - `[IN-USE]` (another session holds the maildrop) and `[SYS/TEMP]` are worth another try,
 *   after a wait that doubles each time from `RETRY_FIRST_DELAY_MS` up to
 *   `RETRY_MAX_DELAY_MS`, at most `retries` times;
 * - `[LOGIN-DELAY]`: wait what the server announced (CAPA `LOGIN-DELAY n`, RFC 2449 section
 *   6.5), unless that is more than the caller will wait (`loginDelayBudgetMs`): then stop;
 * - `[AUTH]`, `[SYS/PERM]`, and anything else: never retried (RFC 3206 section 4: a
 *   permanent failure must not be retried in a loop; a wrong password does not get better).
 */
import type { Pop3ErrorCode } from "../errors/pop3-error.ts";

/** Retries after a retryable failure unless the caller says otherwise (`apop --retry N`). */
export const DEFAULT_RETRIES = 3;
/** The wait before the first retry; each further one waits twice as long. */
export const RETRY_FIRST_DELAY_MS = 2000;
/** No retry waits longer than this. */
export const RETRY_MAX_DELAY_MS = 60_000;
/** The longest announced LOGIN-DELAY a client waits out before giving up. */
export const LOGIN_DELAY_BUDGET_MS = 5 * 60 * 1000;

export type RetryAdvice =
  | {
      readonly action: "retry";
      /** How long to wait before the next attempt, in ms. */
      readonly afterMs: number;
    }
  | {
      readonly action: "stop";
      /**
       * `permanent`: a code that retrying cannot help (`auth`, `sys-perm`, or none);
       * `attempts`: retryable, but `retries` are used up; `budget`: the server's LOGIN-DELAY
       * is longer than the caller waits.
       */
      readonly why: "permanent" | "attempts" | "budget";
    };

/**
 * The advice after attempt number `attempt` (1 for the first try) failed with `code`.
 * `loginDelaySeconds` is the server's announced LOGIN-DELAY, when it announced one; without
 * it a `[LOGIN-DELAY]` is retried like `[SYS/TEMP]`.
 */
export function retryAdvice({
  code,
  attempt,
  retries = DEFAULT_RETRIES,
  loginDelaySeconds,
  loginDelayBudgetMs = LOGIN_DELAY_BUDGET_MS,
}: {
  code: Pop3ErrorCode;
  attempt: number;
  retries?: number;
  loginDelaySeconds?: number;
  loginDelayBudgetMs?: number;
}): RetryAdvice {
  if (code !== "in-use" && code !== "sys-temp" && code !== "login-delay") {
    return { action: "stop", why: "permanent" };
  }
  if (code === "login-delay" && loginDelaySeconds !== undefined) {
    if (loginDelaySeconds * 1000 > loginDelayBudgetMs) return { action: "stop", why: "budget" };
    if (attempt > retries) return { action: "stop", why: "attempts" };
    return { action: "retry", afterMs: loginDelaySeconds * 1000 };
  }
  if (attempt > retries) return { action: "stop", why: "attempts" };
  const afterMs = Math.min(
    RETRY_FIRST_DELAY_MS * 2 ** Math.min(attempt - 1, 30),
    RETRY_MAX_DELAY_MS,
  );
  return { action: "retry", afterMs };
}
