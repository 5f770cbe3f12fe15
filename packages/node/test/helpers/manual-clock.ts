/**
 * A clock that only moves when told (quinn-proto's simulated time): `advance(ms)` jumps
 * forward and fires the timers that came due, in order.
 */
import type { Clock } from "@apop/core";

export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; callback: () => void; id: number }[] = [];
  #nextId = 0;

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, callback: () => void): () => void {
    const id = this.#nextId++;
    this.#timers.push({ at: this.#now + ms, callback, id });
    return () => {
      this.#timers = this.#timers.filter((timer) => timer.id !== id);
    };
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.#timers.length;
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const timer = this.#timers[0];
      if (timer === undefined || timer.at > target) break;
      this.#timers.shift();
      this.#now = timer.at;
      timer.callback();
    }
    this.#now = target;
  }
}

/** A clock on real time, for tests that only need timers to eventually fire. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, callback) => {
    const handle = setTimeout(callback, ms);
    return () => clearTimeout(handle);
  },
};
