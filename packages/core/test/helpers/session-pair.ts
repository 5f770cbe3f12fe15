/**
 * A client session and a server session joined back to back, synchronously, with one manual
 * clock (quinn-proto's test `Pair`): `pump()` moves bytes both ways until both are quiet and
 * answers the server's requests as a host would; `advance(ms)` moves the clock and lets each
 * session's `handleTimeout` act. Whole conversations run without sockets, timers or sleeps.
 */
import {
  type ClientEvent,
  ClientSession,
  type Command,
  type Limits,
  type ServerEvent,
  type ServerPolicy,
} from "../../src/index.ts";
import { DEFAULT_POLICY, latin1, ServerHarness } from "./server-harness.ts";

export interface SessionPairOptions {
  readonly policy?: ServerPolicy;
  readonly limits?: Partial<Limits>;
  /** Leave these server requests pending; the test completes them through `server`. */
  readonly hold?: readonly ("login" | "body" | "tls" | "update")[];
  /** The outcome of every TLS handshake after STLS, on both sides. Default success. */
  readonly tlsOk?: boolean;
}

export class SessionPair {
  now = 1_000_000;
  readonly harness: ServerHarness;
  readonly client: ClientSession;
  /** Every event the client reported, in order. */
  readonly clientEvents: ClientEvent[] = [];
  /** What the client threw (a timeout, a violation), if anything. */
  clientError: unknown = null;
  readonly #hold: ReadonlySet<string>;
  readonly #tlsOk: boolean;
  #eofSent = false;

  constructor(options: SessionPairOptions = {}) {
    this.#hold = new Set(options.hold ?? []);
    this.#tlsOk = options.tlsOk ?? true;
    this.harness = new ServerHarness({
      now: this.now,
      policy: options.policy ?? { ...DEFAULT_POLICY, tlsAvailable: true },
      manual: ["login", "body", "tls", "update"],
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    this.client = new ClientSession({
      now: this.now,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
    });
    this.pump();
  }

  get server() {
    return this.harness.session;
  }

  /** Queues commands on the client (the reply timer starts now) and pumps. */
  send(...commands: Command[]): void {
    for (const command of commands) this.client.send(command, { now: this.now });
    this.pump();
  }

  /** Moves bytes both ways, answering the server's requests, until nothing moves. */
  pump(): void {
    for (let moved = true; moved; ) {
      moved = false;
      for (const chunk of this.server.takeOutput()) {
        moved = true;
        this.#toClient(chunk);
      }
      if (this.server.state === "CLOSED" && !this.#eofSent) {
        this.#eofSent = true;
        moved = true;
        this.#toClient(new Uint8Array(0));
      }
      for (const chunk of this.client.takeOutput()) {
        moved = true;
        this.serve(this.server.receive(chunk, this.now));
      }
    }
  }

  /** Moves the clock and runs both sessions' timeouts; then pumps. */
  advance(ms: number): void {
    this.now += ms;
    this.harness.now = this.now;
    this.serve(this.server.handleTimeout(this.now));
    this.#clientDoes(() => this.client.handleTimeout(this.now));
    this.pump();
  }

  /** Jumps to the earlier of the two sessions' deadlines. */
  advanceToNextDeadline(): void {
    const deadlines = [this.server.nextDeadline(), this.client.nextDeadline()].filter(
      (deadline): deadline is number => deadline !== null,
    );
    if (deadlines.length === 0) throw new Error("no deadline is armed");
    this.advance(Math.max(0, Math.min(...deadlines) - this.now));
  }

  /** Answers the server's requests as a host would, unless held. */
  serve(events: readonly ServerEvent[]): void {
    const queue = [...events];
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      this.harness.events.push(event);
      const server = this.server;
      switch (event.type) {
        case "login-requested":
          if (!this.#hold.has("login"))
            queue.push(...server.completeLogin(this.harness.checkLogin(event), this.now));
          break;
        case "message-requested":
          if (!this.#hold.has("body")) {
            server.sendBody(latin1(this.harness.messages[event.index] as string));
            queue.push(...server.endBody(this.now));
          }
          break;
        case "tls-requested":
          if (!this.#hold.has("tls")) {
            // The +OK goes out before the handshake, as a host flushes it.
            for (const chunk of server.takeOutput()) this.#toClient(chunk);
            this.#clientDoes(() => this.client.completeTls({ ok: this.#tlsOk }));
            queue.push(...server.completeTls({ ok: this.#tlsOk }, this.now));
          }
          break;
        case "update-requested":
          if (!this.#hold.has("update")) queue.push(...server.completeUpdate({ ok: true }));
          break;
        default:
          break;
      }
    }
  }

  #toClient(chunk: Uint8Array): void {
    this.#clientDoes(() => this.clientEvents.push(...this.client.receive(chunk, this.now)));
  }

  #clientDoes(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.clientError ??= error;
    }
  }
}
