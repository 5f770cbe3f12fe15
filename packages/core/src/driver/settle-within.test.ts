import { describe, expect, it } from "vitest";
import { ManualClock } from "../../test/helpers/manual-clock.ts";
import { settleWithin } from "./settle-within.ts";

describe("settleWithin", () => {
  it("returns when the promise settles, rejected or not, and cancels its timer", async () => {
    const clock = new ManualClock();
    await settleWithin({ ms: 1000, clock, promise: Promise.reject(new Error("gone")) });
    await settleWithin({ ms: 1000, clock, promise: Promise.resolve(1) });
    expect(clock.pending).toBe(0);
  });

  it("returns after ms when the promise never settles", async () => {
    const clock = new ManualClock();
    let done = false;
    const waiting = settleWithin({ ms: 1000, clock, promise: new Promise(() => {}) }).then(() => {
      done = true;
    });
    clock.advance(999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await waiting;
    expect(done).toBe(true);
  });
});
