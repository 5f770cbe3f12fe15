import type { Clock } from "@apop/core";

/**
 * The `Clock` core asks for, on Deno's own time: `Date.now()` and `setTimeout`.
 *
 * Timers are unref'd (`Deno.unrefTimer`): a session's autologout or a handshake timeout must
 * never be what keeps a program alive after its server closed and its connections ended.
 */
export const denoClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, callback) => {
    const id = setTimeout(callback, Math.max(0, ms));
    Deno.unrefTimer(id);
    return () => clearTimeout(id);
  },
};
