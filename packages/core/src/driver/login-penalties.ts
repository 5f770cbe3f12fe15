/**
 * Per-address login penalties, like Dovecot's `auth_penalty`: every failed login from one
 * client (an address group: IPv6 by its prefix, `addressGroup`) makes that client's next
 * failure wait longer, across connections, so reconnecting does not reset the cost of
 * guessing. The first failure waits the failure delay, each further one twice as long as the
 * one before, up to `LOGIN_PENALTY_MAX_DELAY_MS`. A successful login from the group, or
 * `LOGIN_PENALTY_FORGET_MS` without a failure, clears it.
 *
 * Pure: time is an argument, and the table is bounded (`LOGIN_PENALTY_TABLE_SIZE`; the group
 * that failed longest ago is dropped first), so a flood of addresses costs fixed memory. Per
 * server process: several processes behind one address each keep their own (docs/security.md).
 */

/** The longest a failed login waits, in ms (Dovecot's `auth_penalty` cap: 15 s). */
export const LOGIN_PENALTY_MAX_DELAY_MS = 15_000;
/** Groups remembered at most; beyond that the one that failed longest ago is forgotten. */
export const LOGIN_PENALTY_TABLE_SIZE = 10_000;
/** A group without a failure for this long starts again from the failure delay. */
export const LOGIN_PENALTY_FORGET_MS = 60 * 60 * 1000;

export interface LoginPenaltiesOptions {
  /** The delay of a first failure, in ms: the server's failure delay (default 2000). */
  readonly failureDelayMs: number;
  readonly maxDelayMs?: number;
  readonly tableSize?: number;
  readonly forgetAfterMs?: number;
}

interface Entry {
  readonly failures: number;
  readonly last: number;
}

export class LoginPenalties {
  readonly #failureDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #tableSize: number;
  readonly #forgetAfterMs: number;
  /** In order of the last failure, oldest first (a Map keeps insertion order). */
  readonly #table = new Map<string, Entry>();

  constructor(options: LoginPenaltiesOptions) {
    this.#failureDelayMs = options.failureDelayMs;
    this.#maxDelayMs = options.maxDelayMs ?? LOGIN_PENALTY_MAX_DELAY_MS;
    this.#tableSize = options.tableSize ?? LOGIN_PENALTY_TABLE_SIZE;
    this.#forgetAfterMs = options.forgetAfterMs ?? LOGIN_PENALTY_FORGET_MS;
  }

  /** Groups remembered now. */
  get size(): number {
    return this.#table.size;
  }

  /** How long the next failure from `group` would wait, in ms, without recording anything. */
  delayFor(group: string, now: number): number {
    const failures = this.#failures(group, now);
    return Math.min(this.#failureDelayMs * 2 ** Math.min(failures, 30), this.#maxDelayMs);
  }

  /**
   * The entry of one group, as `serveConnection`'s `penalty` option wants it. An object of
   * this class rather than two closures: every connection, idle ones included, holds one.
   */
  of(group: string): GroupPenalty {
    return new GroupPenalty(this, group);
  }

  /** Records a failed login from `group` at `now`; returns how long its `-ERR` waits, in ms. */
  failed(group: string, now: number): number {
    const delay = this.delayFor(group, now);
    const failures = this.#failures(group, now);
    this.#table.delete(group);
    this.#table.set(group, { failures: failures + 1, last: now });
    for (const oldest of this.#table.keys()) {
      if (this.#table.size <= this.#tableSize) break;
      this.#table.delete(oldest);
    }
    return delay;
  }

  #failures(group: string, now: number): number {
    const entry = this.#table.get(group);
    return entry === undefined || now - entry.last >= this.#forgetAfterMs ? 0 : entry.failures;
  }

  /** A login from `group` succeeded: its penalty is cleared. */
  succeeded(group: string): void {
    this.#table.delete(group);
  }
}

/** One group's entry in `LoginPenalties` (`LoginPenalties.of`). */
export class GroupPenalty {
  readonly #penalties: LoginPenalties;
  readonly #group: string;

  constructor(penalties: LoginPenalties, group: string) {
    this.#penalties = penalties;
    this.#group = group;
  }

  /** Records a failed login at `now`; returns how long its `-ERR` waits, in ms. */
  failed(now: number): number {
    return this.#penalties.failed(this.#group, now);
  }

  /** A successful login: the group starts again from the failure delay. */
  succeeded(): void {
    this.#penalties.succeeded(this.#group);
  }
}
