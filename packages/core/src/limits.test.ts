import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, MIN_IDLE_TIMEOUT_MS, resolveLimits } from "./limits.ts";

describe("resolveLimits", () => {
  it("gives the defaults when nothing is overridden", () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
  });

  it("keeps overrides that respect the floors", () => {
    const overrides = {
      commandLineOctets: 300,
      saslLineOctets: 400,
      responseLineOctets: 600,
      listingOctets: 9000,
      badCommands: 2,
      authFailures: 5,
      authorizationTimeoutMs: 5,
      loginDeadlineMs: 6,
      idleTimeoutMs: MIN_IDLE_TIMEOUT_MS + 1,
      replyTimeoutMs: 8,
      replyBudgetOctets: 9,
      pipelinedInputOctets: 7,
    };
    expect(resolveLimits(overrides)).toEqual(overrides);
  });

  it("answers one frozen object per overrides object, shared by every session of a server", () => {
    const overrides = { idleTimeoutMs: 700_000 };
    const limits = resolveLimits(overrides);
    expect(resolveLimits(overrides)).toBe(limits);
    expect(Object.isFrozen(limits)).toBe(true);
    // The defaults too: an answer cached for them must not go stale.
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
    expect(resolveLimits({ idleTimeoutMs: 700_000 })).not.toBe(limits);
    expect(resolveLimits({ idleTimeoutMs: 700_000 })).toEqual(limits);
    expect(resolveLimits()).toBe(resolveLimits());
  });

  it("raises the autologout timer to 10 minutes (RFC 1939 section 3)", () => {
    expect(MIN_IDLE_TIMEOUT_MS).toBe(600_000);
    expect(resolveLimits({ idleTimeoutMs: 1000 }).idleTimeoutMs).toBe(600_000);
    expect(resolveLimits({ idleTimeoutMs: 0 }).idleTimeoutMs).toBe(600_000);
  });

  it("raises the command line limit to 255 octets (RFC 2449 section 4)", () => {
    expect(resolveLimits({ commandLineOctets: 10 }).commandLineOctets).toBe(255);
  });

  it("raises the SASL line limit to the command line limit", () => {
    expect(resolveLimits({ saslLineOctets: 10 }).saslLineOctets).toBe(
      DEFAULT_LIMITS.commandLineOctets,
    );
    expect(resolveLimits({ commandLineOctets: 4000, saslLineOctets: 300 }).saslLineOctets).toBe(
      4000,
    );
    expect(resolveLimits({ commandLineOctets: 10, saslLineOctets: 10 }).saslLineOctets).toBe(255);
  });

  it("raises the login deadline to the inactivity timer before login", () => {
    expect(resolveLimits({ authorizationTimeoutMs: 300_000 }).loginDeadlineMs).toBe(300_000);
    expect(resolveLimits({ loginDeadlineMs: 1 }).loginDeadlineMs).toBe(
      DEFAULT_LIMITS.authorizationTimeoutMs,
    );
  });

  it("raises the response line limit to 512 octets (RFC 2449 section 4)", () => {
    expect(resolveLimits({ responseLineOctets: 100 }).responseLineOctets).toBe(512);
  });

  it("raises the abuse counters to at least 1", () => {
    const limits = resolveLimits({ badCommands: 0, authFailures: -3 });
    expect(limits.badCommands).toBe(1);
    expect(limits.authFailures).toBe(1);
  });

  it("does not change DEFAULT_LIMITS", () => {
    const before = { ...DEFAULT_LIMITS };
    resolveLimits({ badCommands: 99 });
    expect(DEFAULT_LIMITS).toEqual(before);
  });
});
