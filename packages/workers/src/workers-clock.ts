import type { Clock } from "@apop/core";

/**
 * Core's clock on the Workers runtime: `Date.now()` and `setTimeout`. Workers advance
 * `Date.now()` only across I/O, which is all a protocol timeout needs to measure.
 */
export const workersClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, callback) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};
