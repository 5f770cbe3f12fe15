import { setImmediate as nextTurn } from "node:timers/promises";

/** How many locks one turn of the event loop refreshes. */
const REFRESH_SLICE = 256;

/**
 * Something whose mtime a `LockRefresher` keeps fresh: a held lock file.
 */
export interface RefreshedLock {
  /**
   * Sets the lock file's mtime to `now` if the lock is still held; answers whether it is (a
   * lock that answers false is dropped and never refreshed again). Must not reject.
   */
  refresh(now: Date): Promise<boolean>;
}

/**
 * Refreshes every held lock of this process, one timer per period for all of them (not one
 * per session: 10,000 idle sessions would be 10,000 timers, each with its closure). apop's
 * `apop.lock` (`maildrop-lock.ts`) and Dovecot's dotlocks (`dovecot-dotlock.ts`) both join
 * it. The timer does not keep the process alive and stops when no lock is left.
 */
export class LockRefresher {
  static readonly #byPeriod = new Map<number, LockRefresher>();
  readonly #locks = new Set<RefreshedLock>();
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #period: number;

  private constructor(period: number) {
    this.#period = period;
    this.#timer = setInterval(() => void this.#tick(), period);
    this.#timer.unref();
  }

  /** Refreshes `lock` every `period` ms from now on, until `remove` (or it answers false). */
  static add(lock: RefreshedLock, period: number): void {
    let refresher = LockRefresher.#byPeriod.get(period);
    if (refresher === undefined) {
      refresher = new LockRefresher(period);
      LockRefresher.#byPeriod.set(period, refresher);
    }
    refresher.#locks.add(lock);
  }

  static remove(lock: RefreshedLock, period: number): void {
    const refresher = LockRefresher.#byPeriod.get(period);
    if (refresher === undefined) return;
    refresher.#locks.delete(lock);
    if (refresher.#locks.size === 0) {
      clearInterval(refresher.#timer);
      LockRefresher.#byPeriod.delete(period);
    }
  }

  /**
   * Refreshes in slices, letting sessions have the event loop in between: a refresh is a few
   * synchronous calls (docs/performance.md), and 10,000 of them at once would stall every
   * session for a noticeable moment.
   */
  async #tick(): Promise<void> {
    const now = new Date();
    const locks = [...this.#locks];
    for (let start = 0; start < locks.length; start += REFRESH_SLICE) {
      if (start > 0) await nextTurn();
      await Promise.all(
        locks.slice(start, start + REFRESH_SLICE).map(async (lock) => {
          if (!(await lock.refresh(now))) LockRefresher.remove(lock, this.#period);
        }),
      );
    }
  }
}
