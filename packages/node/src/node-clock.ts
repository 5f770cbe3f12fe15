import type { Clock } from "@apop/core";

/**
 * The `Clock` core asks for, on Node's own time: `Date.now()` and `setTimeout`.
 *
 * Timers are `unref()`ed: a session's autologout or a handshake timeout must never be what
 * keeps a process alive after its server closed and its sockets ended.
 */
export const nodeClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, callback) => {
    const handle = setTimeout(callback, Math.max(0, ms));
    handle.unref();
    return () => clearTimeout(handle);
  },
};
