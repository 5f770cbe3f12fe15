/**
 * The server driver: runs one `ServerSession` over a `Transport`, asking the `MailStore` and
 * the `Authenticator`. It is the only loop a runtime package needs; each runtime supplies a
 * transport, a clock and random bytes, and nothing else.
 *
 * The loop, in order (quinn's order): arm the session's deadline, read a chunk, feed it,
 * do the work the session asked for (each completion may ask for more), write the output.
 * The driver reads nothing while it works for the session, so a client that pipelines
 * cannot make the server buffer more than one chunk and one line ahead. Nor more than about
 * one reply budget behind: the session parks pipelined commands once their replies reach it
 * (`hasDeferredInput`), and the driver goes on only after the transport took those replies.
 */
import type { Authenticator, Credential } from "../auth/credential.ts";
import { explainProofFailure } from "../auth/explain-proof-failure.ts";
import type { TokenValidator, TokenVerdict } from "../auth/token-validator.ts";
import { verifyProof } from "../auth/verify-proof.ts";
import { concatBytes } from "../bytes/ascii.ts";
import { DEFAULTS } from "../defaults.ts";
import { StoreError } from "../errors/store-error.ts";
import { I_DEFAULT, type ServerMessage } from "../i18n/server-messages.ts";
import { type Limits, resolveLimits } from "../limits.ts";
import type { LoginOutcome, ServerCloseReason, ServerEvent } from "../session/server-events.ts";
import { type ServerPolicy, ServerSession } from "../session/server-session.ts";
import type { Maildrop, MailStore } from "../store/mail-store.ts";
import type { Clock, Transport } from "./transport.ts";

/**
 * The session's events as the driver reports them, plus its own, for logs. None carries a
 * secret: `login-requested` is reported without its proof (a password, or a digest with its
 * challenge, which would allow an offline dictionary attack).
 */
export type ServeEvent =
  | Exclude<ServerEvent, { readonly type: "login-requested" | "token-requested" }>
  | { readonly type: "login-requested"; readonly user: string; readonly mechanism: string }
  | { readonly type: "token-requested"; readonly user: string; readonly mechanism: string }
  | {
      readonly type: "login-succeeded";
      readonly user: string;
      readonly mechanism: string;
      readonly messages: number;
    }
  | {
      readonly type: "login-failed";
      readonly user: string;
      readonly mechanism: string;
      readonly reason: Exclude<LoginOutcome, { ok: true }>["reason"];
      /** For the log only: why (`explainProofFailure`). */
      readonly detail?: string;
      /** How long the `-ERR` waits, in ms (credential failures only): the per-address penalty. */
      readonly delayMs?: number;
    }
  | { readonly type: "message-sent"; readonly message: number; readonly octets: number }
  | { readonly type: "update-applied"; readonly deleted: number; readonly ok: boolean };

export interface ServeConnectionOptions {
  readonly transport: Transport;
  readonly store: MailStore;
  readonly authenticator: Authenticator;
  /**
   * Checks OAUTHBEARER/XOAUTH2 bearer tokens; without it those mechanisms are not offered.
   * A validator that throws fails the exchange like an invalid token (logged as why).
   */
  readonly tokenValidator?: TokenValidator | undefined;
  readonly clock: Clock;
  readonly randomBytes: (length: number) => Uint8Array;
  /** The server's host name, for the APOP timestamp. */
  readonly hostname: string;
  /**
   * What is on offer. `tlsAvailable` defaults to whether the transport can upgrade. Treated as
   * immutable: the session's policy is built once per policy object (and variant) and shared.
   */
  readonly policy?: ServerPolicy;
  readonly limits?: Partial<Limits>;
  /**
   * How long every failed login waits before its `-ERR`, in ms, whatever the reason (so a
   * wrong password, an unknown user and a hashed secret look the same). Per connection: a
   * correct login elsewhere is not slowed. Default 2000, as Dovecot's `auth_failure_delay`.
   */
  readonly authFailureDelayMs?: number;
  /**
   * A key shared by every connection of the server, for SCRAM's derived salts (so an unknown
   * user sees the same salt every time). Default: fresh per connection.
   */
  readonly secret?: Uint8Array | undefined;
  /**
   * The client's entry in the server's per-address penalties (`LoginPenalties`): each failed
   * login then waits what `failed` answers instead of `authFailureDelayMs`, and a successful
   * one clears it. Absent: the fixed delay, per connection.
   */
  readonly penalty?: {
    failed(now: number): number;
    succeeded(): void;
  };
  /**
   * Called for every event, in order, as a method of these options (`options.onEvent(event)`),
   * so a class may implement it. Must not throw.
   */
  onEvent?(event: ServeEvent): void;
  /**
   * Called once the connection is closed and the maildrop released, as a method of these
   * options, just before the returned promise resolves with the same result; so a host needs
   * no reaction to that promise for each connection. Must not throw.
   */
  onClosed?(result: ServeResult): void;
}

export interface ServeResult {
  readonly reason: ServerCloseReason;
  /** The user who logged in, if any. */
  readonly user: string | null;
  /** Octets written to the client. */
  readonly octetsSent: number;
  /** Commands received, by keyword. */
  readonly commands: Readonly<Record<string, number>>;
  /** Messages sent whole or in part (RETR, TOP). */
  readonly messagesSent: number;
  /** Octets of those messages as the store gave them (before dot-stuffing and CRLF). */
  readonly messageOctets: number;
  /** Messages deleted by an UPDATE that succeeded. */
  readonly deleted: number;
}

/**
 * Serves one POP3 connection until it ends. Never throws for anything the client does; the
 * transport is closed and the maildrop released (without deleting, unless the session went
 * through UPDATE) on every path. Throws (after closing the transport) only when the session
 * cannot start: a bad `hostname`, a failing `clock` or `randomBytes`.
 */
export async function serveConnection(options: ServeConnectionOptions): Promise<ServeResult> {
  const { transport, clock } = options;
  let session: ServerSession;
  try {
    session = new ServerSession({
      hostname: options.hostname,
      now: clock.now(),
      randomBytes: options.randomBytes,
      tlsActive: transport.secure,
      // Every write is awaited before more of a message is encoded (`flush`, and the session
      // copies a chunk it still holds); reused only where the transport then lets go of it.
      reuseBodyBuffer: transport.releasesWrittenBytes === true,
      ...(options.secret === undefined ? {} : { secret: options.secret }),
      channelBinding: () => transport.channelBinding?.() ?? null,
      policy: sessionPolicy(options),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
  } catch (error) {
    // A session that cannot start (a host name no timestamp can carry, a clock or random
    // source that fails) is the host's fault, not the client's: the connection goes at once,
    // rather than hang open without a greeting, and the caller hears why.
    await transport.close().catch(() => {});
    throw error;
  }
  // Returned, not awaited: this frame, with its many registers, is not kept while the
  // session waits for its client (see `Connection`).
  return new Connection(options, session).run();
}

/**
 * One connection's driver: its turns (`run`, `#turn`, `#wait`) and the work it does for the
 * session. A class rather than closures over the locals of `serveConnection`: an idle session
 * waits for minutes, and what it holds meanwhile is this object with its fields and three
 * callbacks, not a closure per helper plus the context they share and a suspended frame
 * (docs/performance.md).
 */
class Connection {
  readonly #options: ServeConnectionOptions;
  readonly #session: ServerSession;
  #maildrop: Maildrop | null = null;
  #updated = false;
  #user: string | null = null;
  #reason: ServerCloseReason = "peer-closed";
  #octetsSent = 0;
  #messagesSent = 0;
  #messageOctets = 0;
  #deleted = 0;
  readonly #commands: Record<string, number> = {};
  /** SCRAM asks for the credential mid-exchange; the login that follows reuses the answer. */
  #looked: { user: string; credential: Credential | null } | null = null;
  /** Resolves `run`'s promise; null once `#end` began. */
  #finish: ((result: ServeResult) => void) | null = null;
  /** A read is outstanding (its reaction is `#onRead`). */
  #reading = false;
  /** Waiting for input or the deadline: the first of the two ends the wait and takes the turn. */
  #waiting = false;
  /** What the outstanding read brought while no wait was on (a timeout's turn), for the next. */
  #arrived: Uint8Array | null | typeof NOTHING | typeof READ_FAILED = NOTHING;
  /**
   * When the current wait or write ends (clock ms), Infinity when neither is on. One timer
   * serves all of a connection's deadlines, set again only when it would fire too late: a
   * session sets about ten (a write's and a wait's per command), and a runtime timer set and
   * cancelled for each was a measurable part of a short session's CPU. A timer that fires
   * before the deadline (it was set for an earlier one) is set again for the rest.
   */
  #deadline = Number.POSITIVE_INFINITY;
  /** When the armed timer fires; Infinity when none is armed. */
  #timerAt = Number.POSITIVE_INFINITY;
  #cancelTimer: () => void = noTimer;
  /** Rejects the write in progress (the wait of `#flush`); null when none is. */
  #abandonWrite: ((error: Error) => void) | null = null;

  constructor(options: ServeConnectionOptions, session: ServerSession) {
    this.#options = options;
    this.#session = session;
  }

  #emit(event: ServeEvent): void {
    this.#options.onEvent?.(event);
  }

  /**
   * Serves the connection to its end; never rejects. Not an async function: between turns an
   * idle session suspends no frame at all. It waits with one read outstanding (its reaction is
   * `#onRead`) and one timer (`#onTimer`); whichever comes first starts the next `#turn`.
   */
  run(): Promise<ServeResult> {
    return new Promise((resolve) => {
      this.#finish = resolve;
      void this.#turn(GREETING);
    });
  }

  /**
   * One turn: the work for what came (the greeting, a chunk, the end of input as null, or the
   * deadline), then the wait for what comes next, or the end. Never rejects.
   */
  async #turn(input: Uint8Array | null | typeof GREETING | typeof TIMED_OUT): Promise<void> {
    const session = this.#session;
    const { clock } = this.#options;
    try {
      if (input === GREETING) await this.#flush();
      else if (input === TIMED_OUT) await this.#work(session.handleTimeout(clock.now()));
      else {
        await this.#work(session.receive(input ?? EMPTY, clock.now()));
        // Pipelined commands whose replies outgrew the session's budget wait in the session;
        // `#work` has written what came before them (waiting on the transport), so go on.
        while (session.hasDeferredInput) await this.#work(session.resume(clock.now()));
      }
      if (session.state !== "CLOSED") {
        this.#wait();
        return;
      }
    } catch {
      // The connection failed under us (reset, write after close), or the clock did. Nothing
      // to tell the client.
    }
    return this.#end();
  }

  /**
   * Waits for the next chunk or the session's deadline. One read is outstanding at a time: a
   * deadline that comes first leaves it pending, and what it brings meanwhile (`#arrived`)
   * starts the turn after.
   */
  #wait(): void {
    const arrived = this.#arrived;
    if (arrived !== NOTHING) {
      this.#arrived = NOTHING;
      if (arrived === READ_FAILED) void this.#end();
      else void this.#turn(arrived);
      return;
    }
    const { transport } = this.#options;
    if (!this.#reading) {
      this.#reading = true;
      let reading: Promise<Uint8Array | null>;
      try {
        reading = transport.read();
      } catch {
        void this.#end();
        return;
      }
      reading.then(this.#onRead, this.#onReadFailed);
    }
    this.#waiting = true;
    const deadline = this.#session.nextDeadline();
    if (deadline !== null) this.#setDeadline(deadline);
  }

  /** Ends the current wait or write at `at` (clock ms). Throws what the clock throws. */
  #setDeadline(at: number): void {
    this.#deadline = at;
    // An armed timer that fires by then is kept: it sets itself again for the rest.
    if (at >= this.#timerAt) return;
    this.#stopTimer();
    const { clock } = this.#options;
    this.#cancelTimer = clock.setTimer(Math.max(0, at - clock.now()), this.#onTimer);
    this.#timerAt = at;
  }

  /** Cancels the armed timer, if any. Throws what the clock's cancel throws. */
  #stopTimer(): void {
    const cancel = this.#cancelTimer;
    this.#cancelTimer = noTimer;
    this.#timerAt = Number.POSITIVE_INFINITY;
    cancel();
  }

  readonly #onRead = (chunk: Uint8Array | null): void => {
    this.#reading = false;
    if (this.#waiting) this.#take(chunk);
    else this.#arrived = chunk;
  };

  readonly #onReadFailed = (): void => {
    this.#reading = false;
    if (this.#waiting) this.#take(READ_FAILED);
    else this.#arrived = READ_FAILED;
  };

  /**
   * The one timer fired: the write in progress or the wait ends if its deadline has come, else
   * the timer is set again for the rest. Called by the clock, where nothing may throw: a clock
   * that fails ends the connection.
   */
  readonly #onTimer = (): void => {
    this.#cancelTimer = noTimer;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const deadline = this.#deadline;
    // Nothing waits since it was set (its write or wait ended first): it stays unarmed.
    if (deadline === Number.POSITIVE_INFINITY) return;
    const abandon = this.#abandonWrite;
    try {
      if (this.#options.clock.now() < deadline) {
        this.#setDeadline(deadline);
        return;
      }
    } catch (error) {
      if (abandon !== null) abandon(error as Error);
      else void this.#end();
      return;
    }
    this.#deadline = Number.POSITIVE_INFINITY;
    if (abandon !== null) {
      // The session's state is still the one the write began in: it changes only when the
      // driver feeds it, and the driver is waiting for this write.
      const limit = writeLimit(this.#session);
      this.#emit({ type: "limit-exceeded", limit });
      this.#emit({ type: "session-closed", reason: "timeout" });
      this.#reason = "timeout";
      const ms = resolveLimits(this.#options.limits)[limit];
      abandon(new Error(`the client took no output for ${ms} ms`));
    } else if (this.#waiting) {
      this.#take(TIMED_OUT);
    }
  };

  /**
   * Ends the wait with what came first and starts its turn. Called from a read's reaction or
   * the timer. The timer stays armed (`#deadline`).
   */
  #take(input: Uint8Array | null | typeof TIMED_OUT | typeof READ_FAILED): void {
    this.#waiting = false;
    this.#deadline = Number.POSITIVE_INFINITY;
    if (input === READ_FAILED) void this.#end();
    else void this.#turn(input);
  }

  /**
   * Closes the transport and releases the maildrop (without deleting, unless the session went
   * through UPDATE), then resolves `run`. Never rejects; once.
   */
  async #end(): Promise<void> {
    const finish = this.#finish;
    if (finish === null) return;
    this.#finish = null;
    this.#waiting = false;
    this.#deadline = Number.POSITIVE_INFINITY;
    try {
      // Else the timer would keep this connection, its session and its maildrop in memory
      // until it fires.
      this.#stopTimer();
    } catch {}
    try {
      await this.#options.transport.close();
    } catch {}
    if (this.#maildrop !== null && !this.#updated) {
      try {
        await this.#maildrop.release();
      } catch {}
    }
    const result: ServeResult = {
      reason: this.#reason,
      user: this.#user,
      octetsSent: this.#octetsSent,
      commands: this.#commands,
      messagesSent: this.#messagesSent,
      messageOctets: this.#messageOctets,
      deleted: this.#deleted,
    };
    try {
      this.#options.onClosed?.(result);
    } catch {
      // Documented not to throw; a host's bug must not leave `run` pending for ever.
    }
    finish(result);
  }

  async #flush(): Promise<void> {
    const session = this.#session;
    const output = session.takeOutput();
    if (output.length === 0) return;
    const bytes = output.length === 1 ? (output[0] as Uint8Array) : concatBytes(output);
    this.#octetsSent += bytes.length;
    // The session runs no timer while the driver works for it, and a write waits for as
    // long as the client does not read: a client that asks for a message and stops reading
    // would hold the connection and the maildrop lock for ever. So each write must be taken
    // within the inactivity limit of the state (RFC 1939 section 3 lets the autologout timer
    // run after 10 minutes without activity; not reading our output is none). Dovecot:
    // "Disconnected for inactivity in reading our output".
    const { transport, clock } = this.#options;
    this.#setDeadline(clock.now() + resolveLimits(this.#options.limits)[writeLimit(session)]);
    try {
      // Settled by the write, or rejected by `#onTimer` at the deadline: the write is then
      // abandoned and the connection closed by the caller's cleanup.
      await new Promise<void>((resolve, reject) => {
        this.#abandonWrite = reject;
        transport.write(bytes).then(resolve, reject);
      });
    } finally {
      this.#abandonWrite = null;
      this.#deadline = Number.POSITIVE_INFINITY;
    }
  }

  async #lookup(name: string): Promise<Credential | null> {
    if (this.#looked?.user === name) return this.#looked.credential;
    const credential = await this.#options.authenticator.lookup(name);
    this.#looked = { user: name, credential };
    return credential;
  }

  async #login(event: Extract<ServerEvent, { type: "login-requested" }>): Promise<LoginOutcome> {
    const options = this.#options;
    let outcome: LoginOutcome;
    let detail: string | undefined;
    let delayed: ServerMessage | undefined;
    try {
      const credential = await this.#lookup(event.user);
      this.#looked = null;
      const passwordForClear =
        options.policy?.clearSecretsChallengeOnly === true &&
        credential?.kind === "clear" &&
        event.proof.kind === "password";
      if (passwordForClear || !(await verifyProof({ proof: event.proof, credential }))) {
        outcome = { ok: false, reason: "auth" };
        detail = passwordForClear
          ? "a user with a clear secret may only log in with APOP, CRAM-MD5 or SCRAM (RFC 1939 section 13)"
          : explainProofFailure({ proof: event.proof, credential });
      } else {
        const opened = await options.store.open(event.user);
        let refusal: Awaited<ReturnType<typeof enforceLoginDelay>>;
        try {
          refusal = await enforceLoginDelay({
            maildrop: opened,
            loginDelay: options.policy?.loginDelay,
            now: options.clock.now(),
          });
        } catch (error) {
          // The maildrop is the session's only once the login is done: a check that fails
          // (the last login unreadable, the disk full) releases it, or its lock would stay.
          await opened.release().catch(() => {});
          throw error;
        }
        if (refusal !== null) {
          await opened.release().catch(() => {});
          delayed = { id: "loginDelayWait", params: refusal };
          throw new StoreError({ code: "login-delay", message: I_DEFAULT.loginDelayWait(refusal) });
        }
        this.#maildrop = opened;
        this.#user = event.user;
        options.penalty?.succeeded();
        this.#emit({
          type: "login-succeeded",
          user: event.user,
          mechanism: event.mechanism,
          messages: opened.messages.length,
        });
        return { ok: true, messages: opened.messages };
      }
    } catch (error) {
      outcome = !StoreError.isInstance(error)
        ? { ok: false, reason: "sys-temp" }
        : error.code === "login-delay"
          ? {
              ok: false,
              reason: error.code,
              ...(delayed === undefined ? {} : { message: delayed }),
            }
          : { ok: false, reason: error.code };
    }
    const failureDelay = options.authFailureDelayMs ?? DEFAULTS.authFailureDelayMs;
    const delayMs =
      outcome.reason === "auth"
        ? (options.penalty?.failed(options.clock.now()) ?? failureDelay)
        : 0;
    this.#emit({
      type: "login-failed",
      user: event.user,
      mechanism: event.mechanism,
      reason: outcome.reason,
      ...(detail === undefined ? {} : { detail }),
      ...(outcome.reason === "auth" ? { delayMs } : {}),
    });
    await sleep(options.clock, delayMs);
    return outcome;
  }

  async #sendMessage(
    event: Extract<ServerEvent, { type: "message-requested" }>,
  ): Promise<ServerEvent[]> {
    const session = this.#session;
    const { clock } = this.#options;
    const source = (this.#maildrop as Maildrop).read(event.index)[Symbol.asyncIterator]();
    let octets = 0;
    // Encoded bytes wait in the session until at least FLUSH_OCTETS are there: a message
    // that fits goes out with its status line and terminator in one write (the work loop's
    // flush after `endBody`), a large one a chunk per write while the store reads the next.
    let waiting = 0;
    let ended = false;
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await source.next();
        } catch {
          // Only the store's failures end the message this way; a failed write (the client
          // hung up, or stopped reading: `#flush`) ends the connection, and says so.
          return session.failBody(clock.now());
        }
        if (next.done === true) {
          ended = true;
          break;
        }
        octets += next.value.length;
        waiting += next.value.length;
        const more = session.sendBody(next.value);
        if (!more) break;
        if (waiting >= FLUSH_OCTETS) {
          await this.#flush();
          waiting = 0;
        }
      }
    } finally {
      // Stops the store's stream early (TOP, a failed read or write). Not called once the
      // stream has ended: a no-op then, but three promises and a turn for every RETR.
      if (!ended) await Promise.resolve(source.return?.()).catch(() => {});
    }
    this.#messagesSent++;
    this.#messageOctets += octets;
    this.#emit({ type: "message-sent", message: event.message, octets });
    return session.endBody(clock.now());
  }

  async #work(events: ServerEvent[]): Promise<void> {
    const session = this.#session;
    const options = this.#options;
    const { clock, transport } = options;
    // The events that completions bring are appended to the session's array (a fresh one per
    // call, the driver's to keep), which an index walks: no copy, no `shift` per event.
    const queue = events;
    for (let i = 0; i < queue.length; i++) {
      const event = queue[i] as ServerEvent;
      // Secrets stay here: no login proof, no bearer token in what the host hears.
      this.#emit(
        event.type === "login-requested" || event.type === "token-requested"
          ? { type: event.type, user: event.user, mechanism: event.mechanism }
          : event,
      );
      switch (event.type) {
        case "command-received":
          this.#commands[event.keyword] = (this.#commands[event.keyword] ?? 0) + 1;
          break;
        case "login-requested":
          queue.push(...session.completeLogin(await this.#login(event), clock.now()));
          break;
        case "credential-requested": {
          let credential: Credential | null;
          try {
            credential = await this.#lookup(event.user);
          } catch {
            // The source failed; the exchange goes on as for an unknown user, and the login
            // that ends it asks again (and reports SYS/TEMP if the source is still down).
            this.#looked = null;
            credential = null;
          }
          queue.push(...session.completeCredential(credential, clock.now()));
          break;
        }
        case "token-requested": {
          let verdict: TokenVerdict;
          try {
            verdict = (await options.tokenValidator?.({
              user: event.user,
              token: event.token,
              mechanism: event.mechanism,
            })) ?? { ok: false, status: "invalid_token", reason: "no token validator" };
          } catch (error) {
            verdict = {
              ok: false,
              status: "invalid_token",
              reason: `the token validator failed: ${(error as Error).message}`,
            };
          }
          queue.push(...session.completeToken(verdict, clock.now()));
          break;
        }
        case "message-requested":
          queue.push(...(await this.#sendMessage(event)));
          break;
        case "tls-requested": {
          await this.#flush();
          let ok = false;
          try {
            await transport.upgrade?.();
            ok = true;
          } catch {
            ok = false;
          }
          queue.push(...session.completeTls({ ok }, clock.now()));
          break;
        }
        case "update-requested": {
          let ok = true;
          try {
            await (this.#maildrop as Maildrop).commit(event.deleted);
          } catch {
            ok = false;
          }
          this.#updated = true;
          if (ok) this.#deleted += event.deleted.length;
          this.#emit({ type: "update-applied", deleted: event.deleted.length, ok });
          queue.push(...session.completeUpdate({ ok }));
          break;
        }
        case "session-closed":
          this.#reason = event.reason;
          break;
        case "command-rejected":
        case "limit-exceeded":
          break;
      }
      // Most events bring no reply of their own (a command received, a login asked for): no
      // call and no await, which costs a turn of the microtask queue, when nothing is waiting.
      if (session.hasOutput) await this.#flush();
    }
    // Replies that came with no event (a SASL challenge) still have to go out.
    if (session.hasOutput) await this.#flush();
  }
}

/**
 * LOGIN-DELAY (RFC 2449 section 6.5): a login sooner than `loginDelay` seconds after the last
 * one to the same maildrop is refused with `[LOGIN-DELAY]` (section 8.1), and does not count
 * as a login; any other is recorded on the store. Returns the refusal's figures (seconds), or null.
 */
async function enforceLoginDelay({
  maildrop,
  loginDelay,
  now,
}: {
  maildrop: Maildrop;
  loginDelay: number | undefined;
  now: number;
}): Promise<{ delay: number; wait: number } | null> {
  if (loginDelay === undefined || loginDelay <= 0 || maildrop.lastLogin === undefined) return null;
  const last = await maildrop.lastLogin();
  const wait = last === null ? 0 : last + loginDelay * 1000 - now;
  if (wait > 0) {
    return { delay: loginDelay, wait: Math.ceil(wait / 1000) };
  }
  await maildrop.recordLogin?.(now);
  return null;
}

/**
 * The session's policy: the host's, with what this connection's transport, store and sources
 * can do. The same few variants for every connection of a host, so each is built once and
 * shared (frozen) rather than once per connection, which an idle session would hold.
 */
function sessionPolicy(options: ServeConnectionOptions): ServerPolicy {
  const tlsAvailable = options.transport.upgrade !== undefined;
  // LOGIN-DELAY is advertised only where it is enforced (RFC 2449 section 6.5).
  const loginDelay =
    options.store.keepsLastLogin === true && options.policy?.loginDelay !== undefined;
  // CAPA and the greeting come before the user is named, so they follow the source, read per
  // connection (a reloaded user file may change it): without clear secrets, neither the APOP
  // timestamp nor CRAM-MD5 (RFC 1939 section 7, RFC 2195) can ever succeed.
  const noClearSecrets = options.authenticator.clearSecrets === false;
  const tokens = options.tokenValidator !== undefined;
  const variant =
    (tlsAvailable ? 1 : 0) | (loginDelay ? 2 : 0) | (noClearSecrets ? 4 : 0) | (tokens ? 8 : 0);
  const key = options.policy ?? NO_POLICY;
  let variants = policyVariants.get(key);
  if (variants === undefined) {
    variants = new Map();
    policyVariants.set(key, variants);
  }
  let policy = variants.get(variant);
  if (policy === undefined) {
    policy = Object.freeze({
      tlsAvailable,
      ...withoutLoginDelay(options.policy),
      ...(loginDelay ? { loginDelay: options.policy?.loginDelay } : {}),
      ...(noClearSecrets ? { apop: false, clearSecrets: false } : {}),
      ...(tokens ? { tokens: true } : {}),
    });
    variants.set(variant, policy);
  }
  return policy;
}

const NO_POLICY: ServerPolicy = Object.freeze({});
const policyVariants = new WeakMap<ServerPolicy, Map<number, ServerPolicy>>();

function withoutLoginDelay(policy: ServerPolicy | undefined): ServerPolicy {
  const { loginDelay: _, ...rest } = policy ?? {};
  return rest;
}

const EMPTY = new Uint8Array(0);
/** How much of a message may wait in the session before it is written (see `sendMessage`). */
const FLUSH_OCTETS = 64 * 1024;
const TIMED_OUT: unique symbol = Symbol("timed out");
const GREETING: unique symbol = Symbol("greeting");
/** `Connection.#arrived` when nothing did. */
const NOTHING: unique symbol = Symbol("nothing");
const READ_FAILED: unique symbol = Symbol("read failed");

function noTimer(): void {}

/** The limit within which a write must be taken, by the session's state (see `#flush`). */
function writeLimit(session: ServerSession): "idleTimeoutMs" | "authorizationTimeoutMs" {
  return session.state === "TRANSACTION" ? "idleTimeoutMs" : "authorizationTimeoutMs";
}

function sleep(clock: Clock, ms: number): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    clock.setTimer(ms, resolve);
  });
}
