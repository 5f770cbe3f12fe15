import { describe, expect, it } from "vitest";
import {
  LOGIN_PENALTY_FORGET_MS,
  LOGIN_PENALTY_MAX_DELAY_MS,
  LoginPenalties,
} from "./login-penalties.ts";

describe("LoginPenalties (Dovecot's auth_penalty)", () => {
  it("doubles from the failure delay with each failure of a group, up to 15 s", () => {
    const penalties = new LoginPenalties({ failureDelayMs: 2000 });
    const delays = Array.from({ length: 6 }, (_, i) => penalties.failed("192.0.2.1", i));
    expect(delays).toEqual([2000, 4000, 8000, LOGIN_PENALTY_MAX_DELAY_MS, 15_000, 15_000]);
    expect(penalties.failed("192.0.2.2", 10)).toBe(2000);
  });

  it("a success clears the group; so does an hour without failures", () => {
    const penalties = new LoginPenalties({ failureDelayMs: 1000 });
    penalties.failed("a", 0);
    penalties.failed("a", 1);
    penalties.succeeded("a");
    expect(penalties.failed("a", 2)).toBe(1000);
    expect(penalties.delayFor("a", 3)).toBe(2000);
    expect(penalties.delayFor("a", 2 + LOGIN_PENALTY_FORGET_MS)).toBe(1000);
  });

  it("keeps at most tableSize groups, forgetting the one that failed longest ago", () => {
    const penalties = new LoginPenalties({ failureDelayMs: 1000, tableSize: 3 });
    for (const group of ["a", "b", "c"]) penalties.failed(group, 0);
    penalties.failed("a", 1); // a is now the most recent
    penalties.failed("d", 2); // b goes
    expect(penalties.size).toBe(3);
    expect(penalties.delayFor("b", 3)).toBe(1000);
    expect(penalties.delayFor("a", 3)).toBe(4000);
    for (let i = 0; i < 10_000; i++) penalties.failed(`flood-${i}`, 4);
    expect(penalties.size).toBe(3);
  });
});
