import type { Clock } from "@apop/core";

/** The `Clock` core asks for, on the browser's (or any JS runtime's) own time. */
export const browserClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, callback) => {
    const handle = setTimeout(callback, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};
