/**
 * The account lock (`<state file>.lock`) that one `apop fetch` holds for its whole run, and
 * that `list` and `check` take briefly to record the TLS latch: refreshed every minute, taken
 * over after ten without a refresh (a crashed run).
 */
export const ACCOUNT_LOCK_REFRESH_MS = 60 * 1000;
export const ACCOUNT_LOCK_STALE_MS = 10 * 60 * 1000;
