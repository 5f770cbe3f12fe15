/**
 * The server side of a POP3 session: bytes in, events and bytes out, no I/O.
 *
 * Theory of operation. The host (a driver) owns the connection. It feeds every received
 * chunk to `receive(chunk, now)` and writes whatever `takeOutput()` returns. The session
 * answers most commands by itself from the snapshot it was given at login (STAT, LIST, UIDL,
 * DELE, RSET, NOOP, CAPA). A few commands need the world: checking credentials and opening the
 * maildrop, reading a message, the TLS handshake, applying deletes. For those the session
 * emits a `*-requested` event and waits; further pipelined commands stay buffered (RFC 2449
 * section 6.6: answered strictly in order) until the host calls the matching completion
 * (`completeLogin`, `sendBody`/`endBody`, `completeTls`, `completeUpdate`), which goes on with
 * the buffered input and returns the events that follow.
 *
 * Time is an argument. `nextDeadline()` says when the session wants `handleTimeout(now)`:
 * the short timer before login, the autologout timer after it (RFC 1939 section 3: at least
 * ten minutes). No timer runs while the host is busy on the session's behalf.
 *
 * Which command is legal where, and every change of state, comes from the tables of states.ts:
 * `#enter` is the one place the state is assigned, and it is fed only by `nextState` (a
 * command succeeded) and `stateAfter` (a timeout, a limit, a failed handshake, the peer
 * closing, UPDATE finished). The state is a union that carries the snapshot in TRANSACTION
 * and UPDATE only. This file adds the finer rules inside AUTHORIZATION: USER before PASS,
 * the SASL exchange, and the plaintext policy.
 */
import { createApopTimestamp } from "../auth/apop.ts";
import { prepareLoginString } from "../auth/prepare-login-string.ts";
import type { Credential } from "../auth/credential.ts";
import type { ChannelBinding } from "../auth/sasl/channel-binding.ts";
import { findMechanism } from "../auth/sasl/find-mechanism.ts";
import type {
  SaslServerExchange,
  SaslServerMechanism,
  SaslServerStep,
} from "../auth/sasl/sasl-mechanism.ts";
import type { TokenVerdict } from "../auth/token-validator.ts";
import { isAscii, latin1ToString } from "../bytes/ascii.ts";
import { decodeBase64, encodeBase64 } from "../bytes/base64.ts";
import { LineReader } from "../bytes/line-reader.ts";
import { encodeUtf8 } from "../bytes/utf8.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { type Capabilities, formatCapabilities } from "../grammar/capabilities.ts";
import { type Command, parseCommand, redactCommand } from "../grammar/command.ts";
import {
  formatMaildropSize,
  formatScanListing,
  formatUniqueIdListing,
} from "../grammar/listings.ts";
import { MultilineEncoder } from "../grammar/multiline-encoder.ts";
import { formatContinuation, formatStatusLine, ResponseCode } from "../grammar/status-line.ts";
import { languageMatches } from "../i18n/match-language.ts";
import { DEFAULT_LANGUAGE, LANGUAGES, renderMessage } from "../i18n/message-catalog.ts";
import {
  I_DEFAULT,
  type MessageArgs,
  type MessageId,
  type PlainMessageId,
  type ServerMessage,
} from "../i18n/server-messages.ts";
import { type Limits, resolveLimits } from "../limits.ts";
import { uniqueIds } from "../store/unique-ids.ts";
import { assertNever } from "../util/assert-never.ts";
import type {
  LoginOutcome,
  ServerCloseReason,
  ServerEvent,
  UpdateOutcome,
} from "./server-events.ts";
import { nextState, type SessionEvent, type SessionState, stateAfter } from "./states.ts";

/** What the server offers, beyond the commands every session has. */
export interface ServerPolicy {
  /** Offer APOP: the greeting carries a timestamp (RFC 1939 section 7). Default true. */
  readonly apop?: boolean;
  /** SASL mechanisms on offer (RFC 5034), in order of preference. Default none. */
  readonly saslMechanisms?: readonly SaslServerMechanism[];
  /**
   * Allow USER/PASS and the SASL mechanisms that send a password on a connection without TLS.
   * Default false (RFC 2595 section 2.3).
   */
  readonly allowPlaintextAuth?: boolean;
  /** TLS is possible on this connection, so STLS is on offer until it is active. */
  readonly tlsAvailable?: boolean;
  /** Advertise PIPELINING (RFC 2449 section 6.6). Default true: the session answers in order. */
  readonly pipelining?: boolean;
  /** IMPLEMENTATION text (RFC 2449 section 6.9). */
  readonly implementation?: string;
  /** EXPIRE argument (RFC 2449 section 6.7): a number of days or `NEVER`. */
  readonly expire?: string;
  /** LOGIN-DELAY seconds (RFC 2449 section 6.5). */
  readonly loginDelay?: number;
  /** The text of the greeting, before the APOP timestamp. */
  readonly greeting?: string;
  /**
   * False when the user source cannot hold clear secrets: mechanisms that need one
   * (CRAM-MD5) are then not offered. Default true. (The APOP timestamp is `apop`.)
   */
  readonly clearSecrets?: boolean;
  /**
   * RFC 1939 section 13's advice: a user whose secret is stored in clear (so APOP, CRAM-MD5 or
   * SCRAM can serve them) may log in only with those, never by sending the password (USER/PASS,
   * PLAIN, LOGIN). Such a login fails like a wrong password; the log says why. Default false.
   */
  readonly clearSecretsChallengeOnly?: boolean;
  /**
   * The administrator's language, which `LANG *` selects (RFC 6856 section 3): a tag the
   * catalog lists (`LANGUAGES`). Default `i-default`.
   */
  readonly language?: string;
  /**
   * The host checks bearer tokens (it has a `TokenValidator`): OAUTHBEARER and XOAUTH2 may be
   * offered. Default false.
   */
  readonly tokens?: boolean;
}

export interface ServerSessionOptions {
  /** The host name used in the APOP timestamp and CRAM-MD5 challenges. */
  readonly hostname: string;
  /** The clock, in ms since the epoch (or any monotonic origin used consistently). */
  readonly now: number;
  /** Cryptographically strong random bytes; used for the APOP timestamp and SASL challenges. */
  readonly randomBytes: (length: number) => Uint8Array;
  /**
   * The APOP timestamp to put in the greeting, instead of one made from `now` and
   * `randomBytes`. For replaying recorded sessions; it must differ on every greeting
   * (RFC 1939 section 7).
   */
  readonly apopTimestamp?: string;
  /** TLS is already active (implicit TLS, RFC 8314). */
  readonly tlsActive?: boolean;
  /**
   * A key that stays the same for the whole server, for SCRAM's derived salts
   * (`SaslServerContext.secret`). Default: 32 fresh random bytes, which makes those salts
   * differ per connection; a server host passes one key to all its sessions.
   */
  readonly secret?: Uint8Array;
  /**
   * The connection's channel binding data (RFC 5056) for SCRAM-SHA-256-PLUS, asked when an
   * AUTH starts and when CAPA is answered (it changes with STLS). Absent: no binding.
   */
  readonly channelBinding?: () => ChannelBinding | null;
  readonly policy?: ServerPolicy;
  readonly limits?: Partial<Limits>;
  /**
   * The host writes what `takeOutput` gives, and waits until the transport is done with it
   * (`Transport.write` resolved), before it calls `sendBody` again. RETR then encodes a large
   * message into one buffer, reused chunk after chunk, rather than a fresh one per chunk
   * (docs/performance.md). `serveConnection` does. Default false.
   */
  readonly reuseBodyBuffer?: boolean;
}

type Pending =
  | {
      readonly kind: "login";
      readonly mechanism: string;
      /** The command that asked: its table entry says where a success leads. */
      readonly keyword: "PASS" | "APOP" | "AUTH";
    }
  | { readonly kind: "credential" }
  | { readonly kind: "token" }
  | {
      readonly kind: "body";
      readonly encoder: MultilineEncoder;
      /** RETR's size for its `+OK` text; null for TOP. */
      readonly octets: number | null;
      started: boolean;
    }
  | { readonly kind: "tls" }
  | { readonly kind: "update" };

/** A SASL exchange in progress: the lines that follow are its responses (RFC 5034 section 4). */
interface SaslState {
  readonly mechanism: SaslServerMechanism;
  readonly exchange: SaslServerExchange;
}

interface Snapshot {
  readonly messages: readonly { readonly size: number; readonly uid: string }[];
  /**
   * The messages marked by DELE, by 0-based index. Null until the first DELE: most sessions
   * never delete, and an empty Set costs some 150 bytes per idle session.
   */
  deleted: Set<number> | null;
}

/**
 * The session's state (RFC 1939 section 3). The maildrop snapshot exists from the login on
 * (RFC 1939 section 5: messages are numbered from it) and only in TRANSACTION and UPDATE.
 */
type ServerState =
  | { readonly name: "AUTHORIZATION" }
  | { readonly name: "TRANSACTION"; readonly snapshot: Snapshot }
  | { readonly name: "UPDATE"; readonly snapshot: Snapshot }
  | { readonly name: "CLOSED" };

export class ServerSession {
  readonly #limits: Limits;
  readonly #policy: ServerPolicy;
  readonly #hostname: string;
  readonly #randomBytes: (length: number) => Uint8Array;
  readonly #secret: Uint8Array;
  readonly #channelBinding: () => ChannelBinding | null;
  readonly #reader: LineReader;
  #output: Uint8Array[] = [];
  readonly #reuseBodyBuffer: boolean;
  /** A body chunk in `#output` that is a view of the encoder's reused buffer, until taken. */
  #reusedInOutput: Uint8Array | null = null;
  /** Octets in `#output`, for the reply budget. */
  #outputOctets = 0;
  /** `#process` stopped at the reply budget with input left over: see `hasDeferredInput`. */
  #deferred = false;
  #state: ServerState = { name: "AUTHORIZATION" };
  #tlsActive: boolean;
  #timestamp: string | null;
  #utf8 = false;
  /** The language of response texts (RFC 6856 section 3); i-default until LANG. */
  #language = DEFAULT_LANGUAGE;
  #user: string | null = null;
  #sasl: SaslState | null = null;
  #pending: Pending | null = null;
  #badCommands = 0;
  #authFailures = 0;
  #lastActivity: number;
  /** When the greeting went out: the login deadline counts from here. */
  readonly #greetedAt: number;

  constructor(options: ServerSessionOptions) {
    this.#limits = resolveLimits(options.limits);
    this.#policy = options.policy ?? {};
    this.#hostname = options.hostname;
    this.#randomBytes = options.randomBytes;
    this.#secret = options.secret ?? options.randomBytes(32);
    this.#channelBinding = options.channelBinding ?? (() => null);
    this.#tlsActive = options.tlsActive ?? false;
    this.#reuseBodyBuffer = options.reuseBodyBuffer ?? false;
    this.#lastActivity = options.now;
    this.#greetedAt = options.now;
    this.#reader = new LineReader({ maxOctets: this.#limits.commandLineOctets });
    this.#timestamp =
      this.#policy.apop === false
        ? null
        : (options.apopTimestamp ?? this.#newChallenge(options.now));
    // A configured greeting is the administrator's own words; the default is the catalog's,
    // and so is the text when the configured one is not ASCII (nothing is before UTF8, RFC
    // 6856 section 2; `resolveServerHostOptions` refuses such a greeting).
    const own = this.#policy.greeting;
    const greeting = own !== undefined && isAscii(own) ? own : I_DEFAULT.ready();
    this.#replyText(true, this.#timestamp === null ? greeting : `${greeting} ${this.#timestamp}`);
  }

  /** The RFC 1939 state. */
  get state(): SessionState {
    return this.#state.name;
  }

  /** The APOP timestamp of the greeting, or null when APOP is not offered. */
  get timestamp(): string | null {
    return this.#timestamp;
  }

  /** Whether TLS is active on the connection. */
  get tlsActive(): boolean {
    return this.#tlsActive;
  }

  /** Whether the client turned on UTF-8 mode (RFC 6856 section 2). */
  get utf8(): boolean {
    return this.#utf8;
  }

  /** Octets of input received and not yet processed. */
  get bufferedInput(): number {
    return this.#reader.buffered;
  }

  /**
   * False while the session holds more unprocessed input than `Limits.pipelinedInputOctets`:
   * the host should stop reading until a completion lets the session catch up.
   */
  get wantsInput(): boolean {
    return (
      this.#state.name !== "CLOSED" && this.#reader.buffered <= this.#limits.pipelinedInputOctets
    );
  }

  /** True while a message body is being sent and the encoder wants more bytes. */
  get wantsBody(): boolean {
    const pending = this.#pending;
    return pending?.kind === "body" && !pending.encoder.done;
  }

  /** True when `takeOutput` has bytes to give. */
  get hasOutput(): boolean {
    return this.#output.length > 0;
  }

  /** Drains the bytes to write to the client, in order. */
  takeOutput(): Uint8Array[] {
    const output = this.#output;
    this.#output = [];
    this.#outputOctets = 0;
    this.#reusedInOutput = null;
    return output;
  }

  /**
   * Feeds received bytes. An empty chunk means the peer closed its side (EOF): the session
   * closes without UPDATE, so nothing is deleted (RFC 1939 section 6).
   */
  receive(chunk: Uint8Array, now: number): ServerEvent[] {
    if (this.#state.name === "CLOSED") return [];
    if (chunk.length === 0) return this.#close("peer-closed", "peer-closed");
    // RFC 2595 section 4: nothing sent in clear between STLS and the handshake counts.
    if (this.#pending?.kind === "tls") return [];
    this.#reader.push(chunk);
    return this.#process(now);
  }

  /**
   * True when the session stopped taking commands from its buffered input because its
   * replies reached `Limits.replyBudgetOctets` (64 KiB by default) before the host took them. The host writes
   * what `takeOutput` gives (waiting for the transport, which is the backpressure), then calls
   * `resume`; until then it should not read more input.
   */
  get hasDeferredInput(): boolean {
    return this.#deferred && this.#pending === null;
  }

  /** Goes on with input held back by the reply budget (see `hasDeferredInput`). */
  resume(now: number): ServerEvent[] {
    if (this.#state.name === "CLOSED") return [];
    return this.#process(now);
  }

  /** When the host should call `handleTimeout`, or null while no timer runs. */
  nextDeadline(): number | null {
    if (this.#pending !== null) return null;
    switch (this.#state.name) {
      case "AUTHORIZATION":
        // A command resets the inactivity timer; a partial line does not (it is no command,
        // so a client dribbling bytes cannot keep the connection). Nothing moves the login
        // deadline: commands that never lead to a login cannot keep it either.
        return Math.min(
          this.#lastActivity + this.#limits.authorizationTimeoutMs,
          this.#greetedAt + this.#limits.loginDeadlineMs,
        );
      case "TRANSACTION":
        return this.#lastActivity + this.#limits.idleTimeoutMs;
      default:
        return null;
    }
  }

  /**
   * Closes the session if its deadline has passed. In TRANSACTION this is the autologout of
   * RFC 1939 section 3: no response, no UPDATE. Before login the client is told why.
   */
  handleTimeout(now: number): ServerEvent[] {
    const deadline = this.nextDeadline();
    if (deadline === null || now < deadline) return [];
    let limit: "authorizationTimeoutMs" | "loginDeadlineMs" | "idleTimeoutMs" = "idleTimeoutMs";
    if (this.#state.name === "AUTHORIZATION") {
      const late = now >= this.#greetedAt + this.#limits.loginDeadlineMs;
      limit = late ? "loginDeadlineMs" : "authorizationTimeoutMs";
      this.#reply(false, late ? "loginTooLate" : "inactive");
    }
    return [{ type: "limit-exceeded", limit }, ...this.#close("timeout", "timeout")];
  }

  /**
   * Answers `credential-requested`: the user's credential, or null for no such user. The SASL
   * exchange goes on with it (SCRAM sends its salt and iteration count).
   */
  completeCredential(credential: Credential | null, now: number): ServerEvent[] {
    return this.#completeSasl("credential", now, (exchange) => exchange.credential?.(credential));
  }

  /**
   * Answers `token-requested` with the host's `TokenValidator` verdict: the exchange succeeds
   * (and a login is requested), or sends RFC 7628's JSON error and fails on the next line.
   */
  completeToken(verdict: TokenVerdict, now: number): ServerEvent[] {
    return this.#completeSasl("token", now, (exchange) => exchange.token?.(verdict));
  }

  /** Hands the host's answer to the SASL exchange that asked for it, and goes on. */
  #completeSasl(
    kind: "credential" | "token",
    now: number,
    answer: (exchange: SaslServerExchange) => SaslServerStep | undefined,
  ): ServerEvent[] {
    this.#expectPending(kind);
    this.#pending = null;
    this.#lastActivity = now;
    const events: ServerEvent[] = [];
    const sasl = this.#sasl;
    const step = sasl === null ? undefined : answer(sasl.exchange);
    if (sasl === null || step === undefined) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: `no SASL exchange asked for a ${kind}`,
      });
    }
    this.#handleSaslStep(sasl, step, events);
    events.push(...this.#process(now));
    return events;
  }

  /** Answers `login-requested`. */
  completeLogin(outcome: LoginOutcome, now: number): ServerEvent[] {
    const pending = this.#expectPending("login");
    this.#pending = null;
    this.#lastActivity = now;
    if (outcome.ok) {
      // RFC 1939 section 7: every unique-id valid and none shared, whatever the store says
      // (`uniqueIds` hashes what is not valid and tells duplicates apart), so a client that
      // keeps messages by unique-id never takes two for one and deletes the second unread.
      const uids = uniqueIds(outcome.messages.map((message) => message.uid));
      // The store's own list when every unique-id stood (the usual case): an idle session
      // then holds one object per message, not two.
      const messages = outcome.messages.every((message, index) => message.uid === uids[index])
        ? outcome.messages
        : outcome.messages.map((message, index) => ({
            size: message.size,
            uid: uids[index] as string,
          }));
      const snapshot: Snapshot = { messages, deleted: null };
      this.#enter(nextState(this.#state.name, pending.keyword), snapshot);
      const { count, size } = maildropSize(snapshot);
      this.#reply(true, "loggedIn", { count, octets: size });
      return this.#process(now);
    }
    const events: ServerEvent[] = [];
    // The host's own words (`text`) win, then its message from the catalog, then the default.
    const [code, fallback] = LOGIN_FAILURES[outcome.reason];
    if (outcome.text !== undefined) this.#replyHostText(code, outcome.text, fallback);
    else this.#replyMessage(code, outcome.message ?? { id: fallback });
    // Only credential failures count toward the limit: a locked maildrop is not an attack.
    if (outcome.reason === "auth") {
      this.#authFailures++;
      if (this.#authFailures >= this.#limits.authFailures) {
        events.push(
          { type: "limit-exceeded", limit: "authFailures" },
          ...this.#close("too-many-auth-failures", "limit-reached"),
        );
        return events;
      }
    }
    events.push(...this.#process(now));
    return events;
  }

  /**
   * Sends the next chunk of the stored message of a `message-requested` event. The first call
   * sends the `+OK` line. Returns false once the encoder needs no more (TOP reached its line
   * count): the host should stop reading the store and call `endBody`.
   */
  sendBody(chunk: Uint8Array): boolean {
    const pending = this.#expectPending("body");
    this.#startBody(pending);
    if (!pending.encoder.done) {
      // The previous chunk is still here (the host has not taken it): it must not change.
      const held = this.#reusedInOutput;
      if (held !== null) this.#output[this.#output.lastIndexOf(held)] = held.slice();
      const bytes = pending.encoder.encode(chunk);
      if (bytes.length > 0) this.#emit(bytes);
      this.#reusedInOutput = this.#reuseBodyBuffer && bytes.length > 0 ? bytes : null;
    }
    return !pending.encoder.done;
  }

  /** Ends the message of a `message-requested` event with the terminator line. */
  endBody(now: number): ServerEvent[] {
    const pending = this.#expectPending("body");
    this.#startBody(pending);
    this.#emit(pending.encoder.end());
    this.#pending = null;
    this.#lastActivity = now;
    return this.#process(now);
  }

  /**
   * The store could not deliver the message. Before any byte went out the client gets
   * `-ERR [SYS/TEMP]`; after that the reply cannot be repaired, so the session closes.
   */
  failBody(now: number, text?: string): ServerEvent[] {
    const pending = this.#expectPending("body");
    this.#pending = null;
    if (pending.started) return this.#close("store-failed", "store-failed");
    if (text === undefined) this.#reply(ResponseCode.sysTemp, "messageUnreadable");
    else this.#replyHostText(ResponseCode.sysTemp, text, "messageUnreadable");
    this.#lastActivity = now;
    return this.#process(now);
  }

  /** Answers `tls-requested`: the handshake finished (or failed, which closes the session). */
  completeTls(outcome: { readonly ok: boolean }, now: number): ServerEvent[] {
    this.#expectPending("tls");
    this.#pending = null;
    if (!outcome.ok) return this.#close("tls-failed", "handshake-failed");
    this.#tlsActive = true;
    // RFC 2595 section 4: the client forgets what it knew; so does the server's login state.
    this.#user = null;
    this.#lastActivity = now;
    return this.#process(now);
  }

  /** Answers `update-requested` (RFC 1939 section 6): reply, then close. */
  completeUpdate(outcome: UpdateOutcome): ServerEvent[] {
    this.#expectPending("update");
    this.#pending = null;
    const state = this.#state;
    if (state.name !== "UPDATE") throw invalidState(`no UPDATE in ${state.name}`);
    const left = state.snapshot.messages.length - (state.snapshot.deleted?.size ?? 0);
    if (outcome.ok) {
      this.#reply(true, "signingOffLeft", { left });
    } else if (outcome.text !== undefined) {
      this.#replyHostText(ResponseCode.sysTemp, outcome.text, "deletesFailed");
    } else {
      this.#reply(ResponseCode.sysTemp, "deletesFailed");
    }
    return this.#close("quit", "update-finished");
  }

  // ---------------------------------------------------------------------------------------
  // Input

  #process(now: number): ServerEvent[] {
    const events: ServerEvent[] = [];
    this.#deferred = false;
    while (
      this.#pending === null &&
      (this.#state.name === "AUTHORIZATION" || this.#state.name === "TRANSACTION")
    ) {
      // Replies pile up faster than commands arrive: six octets of `UIDL\r\n` can ask for
      // megabytes. Past the budget the rest of the input waits, unparsed, until the host has
      // taken (and written) the output and calls `resume`; a client that pipelines and never
      // reads then meets TCP backpressure instead of growing our memory (RFC 2449 section 6.6
      // asks clients not to deadlock; it does not oblige the server to buffer for them).
      if (this.#outputOctets >= this.#limits.replyBudgetOctets) {
        this.#deferred = this.#reader.buffered > 0;
        break;
      }
      const read = this.#reader.next();
      if (read === null) break;
      this.#lastActivity = now;
      if (read.type === "line-too-long") {
        events.push({
          type: "limit-exceeded",
          limit: this.#sasl ? "saslLineOctets" : "commandLineOctets",
        });
        if (this.#sasl !== null) {
          this.#endSasl();
          this.#reply(false, "saslLineTooLong");
          this.#countBad(events, "SASL response too long");
        } else {
          this.#reply(false, "lineTooLong");
          this.#countBad(events, "line too long");
        }
        continue;
      }
      if (this.#sasl !== null) {
        this.#saslResponse(read.line, events);
        continue;
      }
      const parsed = parseCommand(read.line);
      if (!parsed.ok) {
        this.#replyMessage(false, parsed.response);
        // The event names the kind of problem only: the line itself may be a password typed
        // at the wrong prompt, and events go to logs.
        this.#countBad(events, parsed.reason);
        continue;
      }
      const command = parsed.command;
      events.push({
        type: "command-received",
        keyword: command.keyword,
        text: redactCommand(command),
      });
      if (nextState(this.#state.name, command.keyword) === null) {
        this.#reply(false, "wrongState", { keyword: command.keyword, state: this.#state.name });
        this.#countBad(events, "wrong state");
        continue;
      }
      this.#dispatch(command, events, now);
    }
    return events;
  }

  #dispatch(command: Command, events: ServerEvent[], now: number): void {
    switch (command.keyword) {
      case "USER":
        this.#userCommand(command.name, events);
        return;
      case "PASS":
        this.#passCommand(command.password, events);
        return;
      case "APOP":
        this.#apopCommand(command.name, command.digest, events);
        return;
      case "AUTH":
        this.#authCommand(command, events, now);
        return;
      case "CAPA":
        this.#replyLines(formatCapabilities(this.capabilities()), "capabilityList");
        return;
      case "STLS":
        this.#stlsCommand(events);
        return;
      case "UTF8":
        this.#utf8 = true;
        this.#reply(true, "utf8Enabled");
        return;
      case "LANG":
        this.#langCommand(command.tag);
        return;
      case "QUIT":
        this.#quitCommand(events);
        return;
      case "NOOP":
        this.#reply(true, "nothingToDo");
        return;
      case "STAT": {
        // The scan line is protocol (RFC 1939 section 5), not text: never translated.
        this.#replyText(true, formatMaildropSize(maildropSize(this.#snapshot())));
        return;
      }
      case "LIST":
      case "UIDL":
        this.#listCommand(command.keyword, command.message, events);
        return;
      case "RETR":
      case "TOP": {
        const index = this.#messageIndex(command.message, events);
        if (index === null) return;
        const lines = command.keyword === "TOP" ? command.lines : undefined;
        this.#pending = {
          kind: "body",
          encoder: new MultilineEncoder(
            lines === undefined
              ? { reuseOutput: this.#reuseBodyBuffer }
              : { bodyLines: lines, reuseOutput: this.#reuseBodyBuffer },
          ),
          octets: lines === undefined ? (this.#snapshot().messages[index]?.size ?? 0) : null,
          started: false,
        };
        events.push({
          type: "message-requested",
          index,
          message: command.message,
          ...(lines === undefined ? {} : { lines }),
        });
        return;
      }
      case "DELE": {
        const index = this.#messageIndex(command.message, events);
        if (index === null) return;
        const snapshot = this.#snapshot();
        snapshot.deleted ??= new Set();
        snapshot.deleted.add(index);
        this.#reply(true, "deleted", { message: command.message });
        return;
      }
      case "RSET": {
        const snapshot = this.#snapshot();
        snapshot.deleted = null;
        const { count, size } = maildropSize(snapshot);
        this.#reply(true, "reset", { count, octets: size });
        return;
      }
      default:
        assertNever(command);
    }
  }

  // ---------------------------------------------------------------------------------------
  // AUTHORIZATION

  /** Plaintext passwords are allowed under TLS, or where the operator said so. */
  #plaintextAllowed(): boolean {
    return this.#tlsActive || this.#policy.allowPlaintextAuth === true;
  }

  #refusePlaintext(events: ServerEvent[]): void {
    this.#reply(ResponseCode.auth, "plaintextDisallowed");
    events.push({ type: "command-rejected", reason: "plaintext authentication disallowed" });
  }

  /** RFC 6856 section 2.2: a name or password SASLprep prohibits is rejected. */
  #refuseProhibited(events: ServerEvent[]): void {
    this.#reply(ResponseCode.auth, "prohibitedCharacter");
    this.#countBad(events, "prohibited character in user name or password");
  }

  #userCommand(name: string, events: ServerEvent[]): void {
    // RFC 1939 section 13: the same answer for every name, so USER reveals no accounts.
    if (!this.#plaintextAllowed()) {
      this.#refusePlaintext(events);
      return;
    }
    // RFC 6856 section 2.2: CAPA says `UTF8 USER`, so a UTF-8 name may come before (or
    // without) the UTF8 command; it is SASLprepped as a query string, and refused when it
    // holds a character SASLprep prohibits. ASCII names pass untouched.
    const prepared = prepareLoginString({ text: name });
    if (prepared === null) {
      this.#refuseProhibited(events);
      return;
    }
    this.#user = prepared;
    this.#reply(true, "sendPass");
  }

  #passCommand(password: string, events: ServerEvent[]): void {
    if (!this.#plaintextAllowed()) {
      this.#refusePlaintext(events);
      return;
    }
    const user = this.#user;
    this.#user = null;
    if (user === null) {
      this.#reply(false, "noUser");
      this.#countBad(events, "PASS without USER");
      return;
    }
    // RFC 6856 section 2.2: refused when SASLprep prohibits a character. The password goes on
    // as sent: `verifyProof` SASLpreps both sides of a clear comparison (for PLAIN too), and a
    // hashed credential sees what the user typed.
    if (prepareLoginString({ text: password }) === null) {
      this.#refuseProhibited(events);
      return;
    }
    this.#requestLogin(events, "PASS", user, "USER", { kind: "password", password });
  }

  #apopCommand(name: string, digest: string, events: ServerEvent[]): void {
    this.#user = null;
    if (this.#timestamp === null) {
      this.#reply(false, "apopUnavailable");
      this.#countBad(events, "APOP not offered");
      return;
    }
    const prepared = prepareLoginString({ text: name });
    if (prepared === null) {
      this.#refuseProhibited(events);
      return;
    }
    this.#requestLogin(events, "APOP", prepared, "APOP", {
      kind: "apop",
      timestamp: this.#timestamp,
      digest: digest.toLowerCase(),
    });
  }

  #authCommand(
    command: Extract<Command, { keyword: "AUTH" }>,
    events: ServerEvent[],
    now: number,
  ): void {
    this.#user = null;
    const offered = this.#offeredMechanisms();
    if (command.mechanism === undefined) {
      // The RFC 1734 listing that Outlook still sends.
      this.#replyLines(
        offered.map((m) => m.name),
        "mechanismList",
      );
      return;
    }
    const mechanism = findMechanism(this.#policy.saslMechanisms ?? [], command.mechanism);
    if (mechanism === undefined) {
      this.#reply(false, "unsupportedMechanism", { mechanism: command.mechanism });
      this.#countBad(events, "unsupported mechanism");
      return;
    }
    if (mechanism.sendsPlaintextPassword && !this.#plaintextAllowed()) {
      this.#refusePlaintext(events);
      return;
    }
    if (!this.#offeredMechanisms().includes(mechanism)) {
      this.#reply(false, "mechanismUnavailable", { mechanism: mechanism.name });
      this.#countBad(events, "mechanism not offered");
      return;
    }
    const exchange = mechanism.start({
      challenge: this.#newChallenge(now),
      randomBytes: this.#randomBytes,
      secret: this.#secret,
      channelBinding: this.#offersChannelBinding() ? this.#channelBinding() : null,
    });
    this.#sasl = { mechanism, exchange };
    this.#reader.maxOctets = this.#limits.saslLineOctets;
    let initial: Uint8Array | null = null;
    if (command.initialResponse !== undefined) {
      // RFC 5034 section 4: `=` is an initial response that is present but empty.
      initial =
        command.initialResponse === "=" ? new Uint8Array(0) : decodeBase64(command.initialResponse);
      if (initial === null) {
        this.#endSasl();
        this.#reply(false, "initialResponseBase64");
        this.#countBad(events, "bad base64");
        return;
      }
    }
    this.#saslStep(initial, events);
  }

  #saslResponse(line: Uint8Array, events: ServerEvent[]): void {
    // RFC 5034 section 4: a line of `*` cancels; the server answers -ERR.
    if (line.length === 1 && line[0] === 0x2a) {
      this.#endSasl();
      this.#reply(false, "authCancelled");
      events.push({ type: "command-rejected", reason: "authentication cancelled" });
      return;
    }
    const response = decodeBase64(latin1ToString(line));
    if (response === null) {
      this.#endSasl();
      this.#reply(false, "responseBase64");
      this.#countBad(events, "bad base64");
      return;
    }
    this.#saslStep(response, events);
  }

  #saslStep(response: Uint8Array | null, events: ServerEvent[]): void {
    const sasl = this.#sasl as SaslState;
    this.#handleSaslStep(sasl, sasl.exchange.step(response), events);
  }

  #handleSaslStep(sasl: SaslState, step: SaslServerStep, events: ServerEvent[]): void {
    switch (step.type) {
      case "credential-needed":
        this.#pending = { kind: "credential" };
        events.push({
          type: "credential-requested",
          user: step.user,
          mechanism: sasl.mechanism.name,
        });
        return;
      case "token-needed":
        this.#pending = { kind: "token" };
        events.push({
          type: "token-requested",
          user: step.user,
          mechanism: sasl.mechanism.name,
          token: step.token,
        });
        return;
      case "challenge":
        this.#emit(formatContinuation(encodeBase64(step.data)));
        return;
      case "success":
        this.#endSasl();
        this.#requestLogin(events, "AUTH", step.user, sasl.mechanism.name, step.proof);
        return;
      case "failure":
        this.#endSasl();
        // A malformed exchange is a credential failure to the client (RFC 3206 section 5).
        this.#reply(ResponseCode.auth, "saslFailed", { reason: step.reason });
        this.#authFailures++;
        events.push({ type: "command-rejected", reason: step.reason });
        if (this.#authFailures >= this.#limits.authFailures) {
          events.push(
            { type: "limit-exceeded", limit: "authFailures" },
            ...this.#close("too-many-auth-failures", "limit-reached"),
          );
        }
        return;
      default:
        assertNever(step);
    }
  }

  #endSasl(): void {
    this.#sasl = null;
    this.#reader.maxOctets = this.#limits.commandLineOctets;
  }

  #requestLogin(
    events: ServerEvent[],
    keyword: "PASS" | "APOP" | "AUTH",
    user: string,
    mechanism: string,
    proof: Extract<ServerEvent, { type: "login-requested" }>["proof"],
  ): void {
    this.#pending = { kind: "login", mechanism, keyword };
    events.push({ type: "login-requested", user, mechanism, proof });
  }

  #stlsCommand(events: ServerEvent[]): void {
    if (this.#tlsActive || this.#policy.tlsAvailable !== true) {
      this.#reply(false, this.#tlsActive ? "tlsActive" : "stlsUnavailable");
      this.#countBad(events, "STLS not available");
      return;
    }
    this.#reply(true, "beginTls");
    // RFC 2595 section 4 and CVE-2011-0411: whatever the client sent after the STLS line
    // arrived in clear and must never run inside the TLS session.
    this.#reader.takeRest();
    this.#pending = { kind: "tls" };
    events.push({ type: "tls-requested" });
  }

  /**
   * LANG (RFC 6856 section 3): without an argument, the languages of the catalog, the server's
   * preference first; with a language range, the first listed language it matches (basic
   * filtering, RFC 4647 section 3.3.1), `*` the administrator's preference. The `+OK` is
   * already in the new language, and starts with its tag.
   */
  #langCommand(range: string | undefined): void {
    if (range === undefined) {
      this.#replyLines(
        LANGUAGES.map(({ tag, name }) => (this.#utf8 || isAscii(name) ? `${tag} ${name}` : tag)),
        "languageList",
      );
      return;
    }
    const chosen =
      range === "*"
        ? (this.#policy.language ?? DEFAULT_LANGUAGE)
        : LANGUAGES.find(({ tag }) => languageMatches({ range, tag }))?.tag;
    if (chosen === undefined) {
      this.#reply(false, "languageUnsupported", { range });
      return;
    }
    this.#language = chosen;
    this.#reply(true, "languageSet", { tag: chosen });
  }

  #quitCommand(events: ServerEvent[]): void {
    if (this.#state.name === "AUTHORIZATION") {
      this.#reply(true, "signingOff");
      events.push(...this.#close("quit", "QUIT"));
      return;
    }
    // RFC 1939 section 6: QUIT in TRANSACTION enters UPDATE; the host removes the messages.
    const snapshot = this.#snapshot();
    this.#enter(nextState(this.#state.name, "QUIT"));
    this.#pending = { kind: "update" };
    events.push({
      type: "update-requested",
      deleted: [...(snapshot.deleted ?? [])].sort((a, b) => a - b),
    });
  }

  // ---------------------------------------------------------------------------------------
  // TRANSACTION

  #listCommand(keyword: "LIST" | "UIDL", message: number | undefined, events: ServerEvent[]): void {
    const snapshot = this.#snapshot();
    const line = (index: number): string => {
      const info = snapshot.messages[index] as { size: number; uid: string };
      return keyword === "LIST"
        ? formatScanListing({ message: index + 1, size: info.size })
        : formatUniqueIdListing({ message: index + 1, uid: info.uid });
    };
    if (message !== undefined) {
      const index = this.#messageIndex(message, events);
      if (index !== null) this.#replyText(true, line(index));
      return;
    }
    const lines: string[] = [];
    for (let index = 0; index < snapshot.messages.length; index++) {
      if (!isDeleted(snapshot, index)) lines.push(line(index));
    }
    const { count, size } = maildropSize(snapshot);
    if (keyword === "LIST") this.#replyLines(lines, "scanList", { count, octets: size });
    else this.#replyLines(lines, "uidList");
  }

  /** The 0-based index of an existing, undeleted message, or null after answering -ERR. */
  #messageIndex(message: number, events: ServerEvent[]): number | null {
    const snapshot = this.#snapshot();
    const index = message - 1;
    if (index >= snapshot.messages.length) {
      this.#reply(false, "noSuchMessage", { message, total: snapshot.messages.length });
      events.push({ type: "command-rejected", reason: "no such message" });
      return null;
    }
    if (isDeleted(snapshot, index)) {
      this.#reply(false, "messageIsDeleted", { message });
      events.push({ type: "command-rejected", reason: "message deleted" });
      return null;
    }
    return index;
  }

  /**
   * The snapshot of TRANSACTION. The maildrop commands reach here only in TRANSACTION (the
   * table refuses them elsewhere), so the throw is for a broken table, never for a client.
   */
  #snapshot(): Snapshot {
    const state = this.#state;
    if (state.name !== "TRANSACTION") throw invalidState(`no maildrop in ${state.name}`);
    return state.snapshot;
  }

  #startBody(pending: Extract<Pending, { kind: "body" }>): void {
    if (pending.started) return;
    pending.started = true;
    if (pending.octets === null) this.#reply(true, "topFollows");
    else this.#reply(true, "messageFollows", { octets: pending.octets });
  }

  // ---------------------------------------------------------------------------------------
  // Capabilities

  /**
   * What AUTH takes on this connection: password-sending mechanisms only where plaintext is
   * allowed, those that need a clear secret only where the user source can hold one, and
   * `-PLUS` only where the transport gives channel binding data.
   */
  #offeredMechanisms(): SaslServerMechanism[] {
    let binding: boolean | null = null;
    return (this.#policy.saslMechanisms ?? []).filter((mechanism) => {
      if (mechanism.sendsPlaintextPassword && !this.#plaintextAllowed()) return false;
      if (mechanism.needsClearSecret === true && this.#policy.clearSecrets === false) return false;
      if (mechanism.needsTokenValidator === true && this.#policy.tokens !== true) return false;
      if (mechanism.needsChannelBinding === true) {
        binding ??= this.#channelBinding() !== null;
        return binding;
      }
      return true;
    });
  }

  /** Whether a `-PLUS` mechanism is on offer now (SCRAM then refuses the `y` flag). */
  #offersChannelBinding(): boolean {
    return this.#offeredMechanisms().some((mechanism) => mechanism.needsChannelBinding === true);
  }

  /**
   * What CAPA lists now (RFC 2449 section 5): only what is on offer in this state on this
   * connection. STLS only before TLS (RFC 2595 section 4); USER and the password-sending SASL
   * mechanisms only where plaintext logins are allowed (RFC 5034 section 3).
   */
  capabilities(): Capabilities {
    const caps = new Map<string, readonly string[]>();
    const authorization = this.#state.name === "AUTHORIZATION";
    caps.set("TOP", []);
    caps.set("UIDL", []);
    caps.set("RESP-CODES", []);
    caps.set("AUTH-RESP-CODE", []);
    if (this.#policy.pipelining !== false) caps.set("PIPELINING", []);
    if (authorization) {
      if (this.#plaintextAllowed()) caps.set("USER", []);
      const mechanisms = this.#offeredMechanisms().map((mechanism) => mechanism.name);
      if (mechanisms.length > 0) caps.set("SASL", mechanisms);
      if (this.#policy.tlsAvailable === true && !this.#tlsActive) caps.set("STLS", []);
      caps.set("UTF8", ["USER"]);
    }
    caps.set("LANG", []);
    if (this.#policy.expire !== undefined) caps.set("EXPIRE", [this.#policy.expire]);
    if (this.#policy.loginDelay !== undefined)
      caps.set("LOGIN-DELAY", [String(this.#policy.loginDelay)]);
    if (this.#policy.implementation !== undefined)
      caps.set("IMPLEMENTATION", [this.#policy.implementation]);
    return caps;
  }

  // ---------------------------------------------------------------------------------------
  // Output and bookkeeping

  #emit(bytes: Uint8Array): void {
    this.#output.push(bytes);
    this.#outputOctets += bytes.length;
  }

  /**
   * A status line whose text is message `id` of the catalog, in the session's language (RFC
   * 6856 section 3). `status`: `+OK` (true), `-ERR` (false), or `-ERR` with that response code.
   */
  #reply<K extends MessageId>(status: Status, id: K, ...args: MessageArgs<K>): void {
    // i-default, every session's language until LANG, calls its text function directly.
    const text =
      this.#language === DEFAULT_LANGUAGE
        ? (I_DEFAULT[id] as (...args: MessageArgs<K>) => string)(...args)
        : renderMessage({ language: this.#language, utf8: this.#utf8, id, args });
    this.#replyText(status, text);
  }

  /** A message that arrived as data (from the parser or the host). */
  #replyMessage(status: Status, message: ServerMessage): void {
    const args = (message.params === undefined ? [] : [message.params]) as MessageArgs<MessageId>;
    this.#reply(status, message.id, ...args);
  }

  /**
   * A host's own words, in whatever language it chose; before UTF8 (RFC 6856 section 2) a text
   * that is not ASCII is replaced by the catalog's `fallback`.
   */
  #replyHostText(status: Status, text: string, fallback: PlainMessageId): void {
    if (this.#utf8 || isAscii(text)) this.#replyText(status, text);
    else this.#reply(status, fallback);
  }

  /** A status line with a text that is not the catalog's: protocol data, or a host's words. */
  #replyText(status: Status, text: string): void {
    this.#emit(
      formatStatusLine(
        typeof status === "string" ? { ok: false, text, code: status } : { ok: status, text },
      ),
    );
  }

  /** A multi-line `+OK` reply of protocol lines (CAPA, LIST, UIDL, LANG), dot-stuffed. */
  #replyLines<K extends MessageId>(lines: readonly string[], id: K, ...args: MessageArgs<K>): void {
    this.#reply(true, id, ...args);
    const encoder = new MultilineEncoder();
    const body = lines.map((line) => `${line}\r\n`).join("");
    this.#emit(encoder.encode(encodeUtf8(body)));
    this.#emit(encoder.end());
  }

  #countBad(events: ServerEvent[], reason: string): void {
    events.push({ type: "command-rejected", reason });
    this.#badCommands++;
    if (this.#badCommands >= this.#limits.badCommands) {
      this.#reply(false, "tooManyBadCommands");
      events.push(
        { type: "limit-exceeded", limit: "badCommands" },
        ...this.#close("too-many-bad-commands", "limit-reached"),
      );
    }
  }

  /**
   * The one assignment of the state. `to` comes from `nextState` or `stateAfter`; entering
   * TRANSACTION takes the snapshot made at login, UPDATE keeps it.
   */
  #enter(to: SessionState | null, snapshot?: Snapshot): void {
    const from = this.#state;
    switch (to) {
      case null:
        return;
      case "AUTHORIZATION":
      case "CLOSED":
        this.#state = { name: to };
        return;
      case "TRANSACTION":
        if (snapshot === undefined) throw invalidState("TRANSACTION needs the login's snapshot");
        this.#state = { name: to, snapshot };
        return;
      case "UPDATE":
        if (from.name !== "TRANSACTION") throw invalidState(`UPDATE from ${from.name}`);
        this.#state = { name: to, snapshot: from.snapshot };
        return;
      default:
        assertNever(to);
    }
  }

  /**
   * Ends the session by `cause` (an event of `EVENT_TRANSITIONS`, or QUIT in AUTHORIZATION).
   * An event whose entry is null changes nothing (the peer closing during UPDATE: the deletes
   * go on, RFC 1939 section 6).
   */
  #close(reason: ServerCloseReason, cause: SessionEvent | "QUIT"): ServerEvent[] {
    const from = this.#state.name;
    const to = cause === "QUIT" ? nextState(from, "QUIT") : stateAfter(from, cause);
    if (to !== "CLOSED") return [];
    this.#enter(to);
    this.#pending = null;
    this.#deferred = false;
    this.#sasl = null;
    this.#reader.takeRest();
    return [{ type: "session-closed", reason }];
  }

  #expectPending<K extends Pending["kind"]>(kind: K): Extract<Pending, { kind: K }> {
    const pending = this.#pending;
    if (pending?.kind !== kind) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: `no ${kind} is pending (pending: ${pending?.kind ?? "nothing"}, state: ${this.#state.name})`,
      });
    }
    return pending as Extract<Pending, { kind: K }>;
  }

  #newChallenge(now: number): string {
    return createApopTimestamp({ now, random: this.#randomBytes(16), host: this.#hostname });
  }
}

/** A reply's status: `+OK` (true), `-ERR` (false), or `-ERR` with this response code. */
type Status = boolean | string;

/** Each login failure's response code (RFC 2449 section 8, RFC 3206) and default text. */
const LOGIN_FAILURES = {
  auth: [ResponseCode.auth, "authFailed"],
  "in-use": [ResponseCode.inUse, "inUse"],
  "login-delay": [ResponseCode.loginDelay, "loginDelay"],
  "sys-temp": [ResponseCode.sysTemp, "temporaryFailure"],
  "sys-perm": [ResponseCode.sysPerm, "maildropUnavailable"],
} as const satisfies Record<
  Extract<LoginOutcome, { ok: false }>["reason"],
  readonly [string, PlainMessageId]
>;

function isDeleted(snapshot: Snapshot, index: number): boolean {
  return snapshot.deleted?.has(index) === true;
}

function maildropSize(snapshot: Snapshot): { count: number; size: number } {
  let count = 0;
  let size = 0;
  snapshot.messages.forEach((info, index) => {
    if (isDeleted(snapshot, index)) return;
    count++;
    size += info.size;
  });
  return { count, size };
}

function invalidState(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-state", message });
}
