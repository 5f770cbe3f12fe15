import { describe, expect, it } from "vitest";
import { DEFAULT_RETRIES, retryAdvice } from "./retry-advice.ts";

describe("retryAdvice (RFC 2449 section 8, RFC 3206)", () => {
  it.each(["in-use", "sys-temp"] as const)("retries [%s] with a doubling, bounded wait", (code) => {
    const waits = [1, 2, 3].map((attempt) => retryAdvice({ code, attempt }));
    expect(waits).toEqual([
      { action: "retry", afterMs: 2000 },
      { action: "retry", afterMs: 4000 },
      { action: "retry", afterMs: 8000 },
    ]);
    expect(retryAdvice({ code, attempt: DEFAULT_RETRIES + 1 })).toEqual({
      action: "stop",
      why: "attempts",
    });
    expect(retryAdvice({ code, attempt: 20, retries: 50 })).toEqual({
      action: "retry",
      afterMs: 60_000,
    });
    expect(retryAdvice({ code, attempt: 1, retries: 0 })).toEqual({
      action: "stop",
      why: "attempts",
    });
  });

  it.each(["auth", "sys-perm", "err", "utf8"] as const)("never retries [%s]", (code) => {
    expect(retryAdvice({ code, attempt: 1 })).toEqual({ action: "stop", why: "permanent" });
  });

  it("waits out an announced LOGIN-DELAY, or stops when it is longer than the budget", () => {
    expect(retryAdvice({ code: "login-delay", attempt: 1, loginDelaySeconds: 30 })).toEqual({
      action: "retry",
      afterMs: 30_000,
    });
    expect(
      retryAdvice({
        code: "login-delay",
        attempt: 1,
        loginDelaySeconds: 900,
        loginDelayBudgetMs: 60_000,
      }),
    ).toEqual({ action: "stop", why: "budget" });
    expect(retryAdvice({ code: "login-delay", attempt: 1 })).toEqual({
      action: "retry",
      afterMs: 2000,
    });
  });
});
