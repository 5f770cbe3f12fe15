/**
 * The client driver: `Pop3Client` runs a `ClientSession` over a `Transport`, one command at a
 * time, and gives the program typed results. Runtime packages only open the transport.
 *
 * Every method waits for the previous one to finish (a FIFO lock), so a caller may fire
 * several without awaiting. A message body is an async iterable: it streams from the socket
 * as the caller consumes it, and the client's lock is held until the body ends. A caller
 * that stops early makes the client read and drop the rest, so the next reply is read right.
 */
import { apopDigest } from "../auth/apop.ts";
import { prepareLoginString } from "../auth/prepare-login-string.ts";
import {
  type ChooseLoginMethodOptions,
  chooseLoginMethod,
  type LoginMethod,
} from "../auth/choose-login-method.ts";
import { cramMd5Client } from "../auth/sasl/cram-md5.ts";
import { loginClient } from "../auth/sasl/login.ts";
import { oauthBearerClient, xoauth2Client } from "../auth/sasl/oauth-bearer.ts";
import { plainClient } from "../auth/sasl/plain.ts";
import type { SaslClientMechanism, SaslClientVerifier } from "../auth/sasl/sasl-mechanism.ts";
import { scramSha256Client, scramSha256PlusClient } from "../auth/scram/scram-client.ts";
import { concatBytes, isAscii } from "../bytes/ascii.ts";
import { decodeBase64, encodeBase64 } from "../bytes/base64.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { Pop3Error } from "../errors/pop3-error.ts";
import { RemoteProtocolError } from "../errors/remote-protocol-error.ts";
import { type Capabilities, saslMechanisms } from "../grammar/capabilities.ts";
import type { Command } from "../grammar/command.ts";
import {
  type MaildropSize,
  parseMaildropSize,
  parseScanListing,
  parseUniqueIdListing,
  type ScanListing,
  type UniqueIdListing,
} from "../grammar/listings.ts";
import type { StatusLine } from "../grammar/status-line.ts";
import type { Limits } from "../limits.ts";
import { type ClientEvent, ClientSession } from "../session/client-session.ts";
import type { SessionState } from "../session/states.ts";
import type { Clock, Transport } from "./transport.ts";

export interface Pop3ClientOptions {
  readonly transport: Transport;
  readonly clock: Clock;
  /**
   * Core's limits. `replyTimeoutMs` is the longest wait for any bytes of a reply (a slow reply
   * that keeps moving is not cut off); the session keeps that time, the client only arms a
   * timer at its `nextDeadline()`.
   */
  readonly limits?: Partial<Limits>;
  /**
   * Largest message or listing accepted, in octets. Default: no limit for messages (they
   * stream); listings are capped by `limits.listingOctets` either way.
   */
  readonly maxMessageOctets?: number;
  /**
   * Run `requireTls()` right after the greeting: the connection goes on only inside TLS.
   * Default false. What a runtime's `connect({ tls: "starttls" })` asks for.
   */
  readonly requireTls?: boolean;
  /**
   * Cryptographically strong random bytes, for SCRAM's client nonce (RFC 5802 section 5.1).
   * Without it SCRAM is not used. The runtime packages' `connect` passes theirs.
   */
  readonly randomBytes?: (length: number) => Uint8Array;
}

/** What `Pop3Client.login()` takes. */
export interface LoginOptions {
  /** The mailbox name. */
  readonly user: string;
  /**
   * The password (never sent in clear without `allowPlaintext`); for `oauthbearer` and
   * `xoauth2`, the bearer token.
   */
  readonly password: string;
  /** How to log in. Default: the strongest the server offers. */
  readonly method?: LoginMethod;
  /**
   * Allow a password to travel in clear (USER/PASS, PLAIN, LOGIN) on a connection without
   * TLS. Default false: such a login throws `LocalProtocolError` `not-supported` instead
   * (RFC 2595 section 2.3; RFC 8314). It permits, never prefers: `auto` still picks CRAM-MD5
   * or APOP when the server offers either.
   */
  readonly allowPlaintext?: boolean;
  /**
   * The method that worked last time for this account (what `login` resolved with), tried
   * first by `auto` while the server offers it. Programs keep it per account, like the TLS
   * latch.
   */
  readonly remembered?: Exclude<LoginMethod, "auto">;
}

/**
 * Commands `retrEach`, `topEach`, `deleEach`, `listEach` and `uidlEach` keep on the wire at
 * once when the server pipelines (RFC 2449 section 6.6 sets no number). A command line is a
 * few octets, so this many stay far below any server's input buffer (ours holds
 * `Limits.pipelinedInputOctets`), and one round trip then carries this many replies.
 */
export const PIPELINE_WINDOW = 32;

/** Which messages `retrEach` retrieves, and how many commands it keeps on the wire. */
export interface RetrEachOptions {
  /** Message numbers, in the order the messages should come. */
  readonly messages: readonly number[];
  /** Most commands on the wire at once when the server offers PIPELINING. Default `PIPELINE_WINDOW`. */
  readonly window?: number;
  /** The most octets a message may have (as `retr`'s `maxOctets`), per message number. */
  readonly maxOctets?: (message: number) => number | undefined;
}

/**
 * One message of `retrEach`: its body as it streams (unstuffed), or the server's `-ERR` as a
 * `Pop3Error`. Read `body` to its end (or stop reading it) before asking for the next item.
 */
export type RetrEachItem =
  | {
      readonly message: number;
      readonly body: AsyncIterable<Uint8Array>;
      readonly error?: undefined;
    }
  | { readonly message: number; readonly body?: undefined; readonly error: Pop3Error };

/** What `Pop3Client.topEach` asks for: which messages, how many body lines, how deep a pipeline. */
export interface TopEachOptions {
  /** Message numbers, in the order the results should come. */
  readonly messages: readonly number[];
  /** Body lines after the headers (0: headers only). */
  readonly lines: number;
  /** Most commands on the wire at once when the server offers PIPELINING. Default `PIPELINE_WINDOW`. */
  readonly window?: number;
}

/** One message's TOP reply: its bytes (unstuffed), or the server's `-ERR` as a `Pop3Error`. */
export type TopResult =
  | { readonly message: number; readonly data: Uint8Array; readonly error?: undefined }
  | { readonly message: number; readonly data?: undefined; readonly error: Pop3Error };

/** Which messages `deleEach`, `listEach` and `uidlEach` ask about, and how deep a pipeline. */
export interface EachOptions {
  /** Message numbers, in the order the results should come. */
  readonly messages: readonly number[];
  /** Most commands on the wire at once when the server offers PIPELINING. Default `PIPELINE_WINDOW`. */
  readonly window?: number;
}

/**
 * One message's result of `listEach` or `uidlEach`: what the server said about it, or its
 * `-ERR` as a `Pop3Error`.
 */
export type EachResult<T extends object> =
  | ({ readonly message: number; readonly error?: undefined } & T)
  | ({ readonly message: number; readonly error: Pop3Error } & {
      readonly [K in keyof T]?: undefined;
    });

type Reply = { readonly status: StatusLine; readonly lines?: readonly string[] };

/**
 * A POP3 client over a transport: every command as a method, replies as values, message
 * bodies streamed. Runtimes' `connect()` return one.
 */
export class Pop3Client {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #randomBytes: ((length: number) => Uint8Array) | undefined;
  readonly #session: ClientSession;
  #events: ClientEvent[] = [];
  #lock: Promise<void> = Promise.resolve();
  #reading: Promise<Uint8Array | null> | null = null;
  /** Why the connection is unusable, when that was found while no command was pending. */
  #broken: Error | null = null;
  #greeting: { readonly text: string; readonly timestamp: string | null } = {
    text: "",
    timestamp: null,
  };

  private constructor(options: Pop3ClientOptions) {
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#randomBytes = options.randomBytes;
    this.#session = new ClientSession({
      now: options.clock.now(),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.maxMessageOctets === undefined
        ? {}
        : { maxBodyOctets: options.maxMessageOctets }),
    });
  }

  /**
   * Reads the greeting over an open transport (then, with `requireTls`, confirms STLS and
   * upgrades). Throws `Pop3Error` for a `-ERR` greeting (e.g. `[SYS/TEMP]` when the server is
   * busy), `RemoteProtocolError` `tls-unavailable` when TLS was required and is not to be had,
   * `RemoteProtocolError` for anything else odd; the transport is closed before it throws.
   */
  static async connect(options: Pop3ClientOptions): Promise<Pop3Client> {
    const client = new Pop3Client(options);
    try {
      const event = await client.#next();
      if (event.type !== "greeting-received")
        throw new Error("unreachable: the first event is the greeting");
      client.#greeting = { text: event.status.text, timestamp: event.timestamp };
      if (!event.status.ok) {
        throw new Pop3Error({
          command: "GREETING",
          responseCode: event.status.code,
          serverText: event.status.text,
        });
      }
      if (options.requireTls === true) await client.requireTls();
    } catch (error) {
      await options.transport.close().catch(() => {});
      throw error;
    }
    return client;
  }

  /** The greeting's text, and its APOP timestamp when it has a strict one. */
  get greeting(): { readonly text: string; readonly timestamp: string | null } {
    return this.#greeting;
  }

  /** True when the connection runs inside TLS. */
  get secure(): boolean {
    return this.#transport.secure;
  }

  /** The session's state (RFC 1939 section 3): AUTHORIZATION, TRANSACTION or UPDATE. */
  get state(): SessionState {
    return this.#session.state;
  }

  /** The capabilities of the last CAPA (forgotten after STLS), or null. */
  get capabilities(): Capabilities | null {
    return this.#session.capabilities;
  }

  /** CAPA (RFC 2449 section 5). Old servers answer `-ERR`: then null. */
  capa(): Promise<Capabilities | null> {
    return this.#exclusive(async () => {
      const reply = await this.#command({ keyword: "CAPA" }, { allowError: true });
      return reply.status.ok ? this.#session.capabilities : null;
    });
  }

  /**
   * STLS (RFC 2595 section 4), then the TLS handshake. Throws `RemoteProtocolError`
   * `tls-unavailable` when the server refuses: a client that asked for TLS never goes on in
   * clear. The capabilities are forgotten; call `capa()` again.
   */
  stls(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#transport.upgrade === undefined) {
        throw new LocalProtocolError({
          code: "not-supported",
          message: "this transport cannot start TLS",
        });
      }
      const reply = await this.#command({ keyword: "STLS" }, { allowError: true });
      if (!reply.status.ok) {
        throw new RemoteProtocolError({
          code: "tls-unavailable",
          message: `the server refused STLS: ${reply.status.text}`,
        });
      }
      // Bytes read in clear after the +OK were dropped by the session; the transport drops the rest.
      await this.#transport.upgrade();
      this.#session.completeTls();
    });
  }

  /**
   * The policy of a client that asked for STLS (RFC 2595 section 4): CAPA must list STLS and
   * STLS must succeed, or `RemoteProtocolError` `tls-unavailable` is thrown before anything
   * else is sent — never a quiet fall back to clear text (EAST negotiation cases, fetchmail
   * CVE-2021-39272).
   */
  async requireTls(): Promise<void> {
    const capabilities = await this.capa();
    if (capabilities === null || !capabilities.has("STLS")) {
      throw new RemoteProtocolError({
        code: "tls-unavailable",
        message:
          capabilities === null
            ? "the server refused CAPA, so STLS cannot be confirmed; TLS is required (RFC 2595 section 4)"
            : "the server does not offer STLS; TLS is required (RFC 2595 section 4)",
      });
    }
    await this.stls();
  }

  /**
   * Logs in, and resolves with the method that worked. `auto` (the default) asks
   * `chooseLoginMethod`: inside TLS SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, USER/PASS,
   * CRAM-MD5, APOP; in clear SCRAM-SHA-256, CRAM-MD5 or APOP (they keep the password off the
   * wire), and a password-sending method only when none is offered and `allowPlaintext` is
   * set. `remembered` goes first when offered. After `[AUTH]` from a challenge-response
   * method, `auto` tries once more with PLAIN (else USER/PASS) where a password may be sent:
   * the server may store this user's secret in a form that method cannot use.
   */
  async login(options: LoginOptions): Promise<Exclude<LoginMethod, "auto">> {
    const method = options.method ?? "auto";
    if (method !== "auto") {
      await this.#loginWith(method, options);
      return method;
    }
    const chosen = await this.#chooseMethod(options);
    try {
      await this.#loginWith(chosen, options);
      return chosen;
    } catch (error) {
      if (!(Pop3Error.isInstance(error) && error.code === "auth")) throw error;
      // A server that says it binds although its list had no -PLUS saw a stripped list (RFC
      // 5802 section 6): someone in the path, so the password is not sent to it instead.
      if (error.serverText.includes("e=server-does-support-channel-binding")) throw error;
      const fallback = chooseLoginMethod({ ...(await this.#choice(options)), failed: chosen });
      if (fallback === null) throw error;
      await this.#loginWith(fallback, options);
      return fallback;
    }
  }

  #loginWith(method: Exclude<LoginMethod, "auto">, options: LoginOptions): Promise<void> {
    switch (method) {
      case "apop":
        return this.apop(options.user, options.password);
      case "user":
        this.#checkPlaintext(options, "USER/PASS");
        return this.user(options.user, options.password);
      case "plain":
        this.#checkPlaintext(options, "PLAIN");
        return this.authenticate(plainClient, options);
      case "login":
        this.#checkPlaintext(options, "LOGIN");
        return this.authenticate(loginClient, options);
      case "cram-md5":
        return this.authenticate(cramMd5Client, options);
      case "scram-sha-256":
        return this.authenticate(scramSha256Client, options);
      case "scram-sha-256-plus":
        return this.authenticate(scramSha256PlusClient, options);
      case "oauthbearer":
        this.#checkPlaintext(options, "OAUTHBEARER");
        return this.authenticate(oauthBearerClient, options);
      case "xoauth2":
        this.#checkPlaintext(options, "XOAUTH2");
        return this.authenticate(xoauth2Client, options);
    }
  }

  /**
   * APOP (RFC 1939 section 7). Refuses, before sending anything, when the greeting has no
   * strict msg-id timestamp (CVE-2007-1558): `RemoteProtocolError` `bad-timestamp`.
   */
  apop(user: string, secret: string): Promise<void> {
    return this.#exclusive(async () => {
      const timestamp = this.#greeting.timestamp;
      if (timestamp === null) {
        throw new RemoteProtocolError({
          code: "bad-timestamp",
          message:
            "the greeting has no valid APOP timestamp (one <local@domain> of printable ASCII); refusing APOP",
        });
      }
      await this.#utf8Credentials(user, secret, "APOP");
      // RFC 6856 section 2.2: a UTF-8 name is SASLprepped as a query string, the secret the
      // digest is made of as a stored string; ASCII ones are sent as they are.
      await this.#command({
        keyword: "APOP",
        name: prepared(user, false),
        digest: apopDigest({ timestamp, secret: prepared(secret, true) }),
      });
    });
  }

  /**
   * USER then PASS (RFC 1939 section 7). No TLS check here: `login` makes it. A non-ASCII name
   * or password goes only to a server that lists `UTF8 USER` (see `#utf8Credentials`).
   */
  user(user: string, password: string): Promise<void> {
    return this.#exclusive(async () => {
      await this.#utf8Credentials(user, password, "USER/PASS");
      await this.#command({ keyword: "USER", name: user });
      await this.#command({ keyword: "PASS", password });
    });
  }

  /**
   * AUTH with a SASL mechanism (RFC 5034), with an initial response where the mechanism has
   * one. SCRAM gets the client's `randomBytes` and the transport's channel binding data; a
   * SCRAM server that says `+OK` without proving it knows the password (`v=`, RFC 5802
   * section 3) makes this throw `RemoteProtocolError` `unexpected-reply`.
   */
  authenticate(
    mechanism: SaslClientMechanism,
    credentials: { user: string; password: string },
  ): Promise<void> {
    return this.#exclusive(async () => {
      // RFC 5802 section 6: a client that chose plain SCRAM although the server lists the
      // -PLUS variant binds to nothing (`n`); `y` is for a server that seems unable to bind,
      // which is how a stripped mechanism list shows up. A forced mechanism may come before
      // any CAPA: over TLS, ask it first, so the flag is not `y` to a server that lists -PLUS.
      const binding = this.#transport.channelBinding?.() ?? null;
      if (
        mechanism.signalsChannelBinding === true &&
        binding !== null &&
        this.#session.capabilities === null
      ) {
        await this.#command({ keyword: "CAPA" }, { allowError: true });
      }
      const plusListed = saslMechanisms(this.#session.capabilities ?? new Map()).includes(
        `${mechanism.name}-PLUS`,
      );
      const exchange = mechanism.start({
        user: credentials.user,
        password: credentials.password,
        ...(this.#randomBytes === undefined ? {} : { randomBytes: this.#randomBytes }),
        channelBinding: mechanism.needsChannelBinding === true || !plusListed ? binding : null,
      });
      const initial = exchange.initialResponse();
      this.#session.sendAuth(
        mechanism.name,
        initial === null ? null : encodeBase64(initial),
        this.#clock.now(),
      );
      await this.#flush();
      let cancelled: string | null = null;
      for (;;) {
        const event = await this.#next();
        if (event.type === "continuation-received") {
          // A challenge we cannot read or answer is cancelled with `*` (RFC 5034 section 4);
          // the server then answers -ERR, which ends the loop below.
          const challenge = decodeBase64(event.data);
          const step = challenge === null ? null : exchange.step(challenge);
          if (step?.type !== "response") {
            cancelled = step?.reason ?? "the server's challenge is not base64";
          }
          this.#session.sendSaslResponse(step?.type === "response" ? encodeBase64(step.data) : "*");
          await this.#flush();
          continue;
        }
        if (event.type !== "response-received") throw unexpected(event);
        if (cancelled !== null) {
          throw new RemoteProtocolError({
            code: "sasl-cancelled",
            message: `${mechanism.name} cancelled: ${cancelled} (the server said: ${event.status.text})`,
          });
        }
        if (!event.status.ok) throw replyError(event.command, event.status);
        const verifier = exchange as Partial<SaslClientVerifier>;
        if (verifier.serverVerified !== undefined && !verifier.serverVerified()) {
          await this.#transport.close().catch(() => {});
          throw new RemoteProtocolError({
            code: "server-not-verified",
            message: `the server accepted ${mechanism.name} without proving it knows the password (no server signature, RFC 5802 section 3); connection closed`,
          });
        }
        return;
      }
    });
  }

  /** STAT (RFC 1939 section 5). */
  stat(): Promise<MaildropSize> {
    return this.#exclusive(async () => {
      const reply = await this.#command({ keyword: "STAT" });
      return parsed(parseMaildropSize(reply.status.text), "STAT", reply.status.text);
    });
  }

  /** LIST: every message's size, or one message's with a number. */
  list(): Promise<ScanListing[]>;
  /** LIST n: one message's size. */
  list(message: number): Promise<ScanListing>;
  list(message?: number): Promise<ScanListing[] | ScanListing> {
    return this.#exclusive(async () => {
      if (message !== undefined) {
        const reply = await this.#command({ keyword: "LIST", message });
        return parsed(parseScanListing(reply.status.text), "LIST", reply.status.text);
      }
      const reply = await this.#command({ keyword: "LIST" });
      return (reply.lines ?? []).map((line) => parsed(parseScanListing(line), "LIST", line));
    });
  }

  /** UIDL: every message's unique-id, or one message's with a number. */
  uidl(): Promise<UniqueIdListing[]>;
  /** UIDL n: one message's unique-id. */
  uidl(message: number): Promise<UniqueIdListing>;
  uidl(message?: number): Promise<UniqueIdListing[] | UniqueIdListing> {
    return this.#exclusive(async () => {
      if (message !== undefined) {
        const reply = await this.#command({ keyword: "UIDL", message });
        return parsed(parseUniqueIdListing(reply.status.text), "UIDL", reply.status.text);
      }
      const reply = await this.#command({ keyword: "UIDL" });
      return (reply.lines ?? []).map((line) => parsed(parseUniqueIdListing(line), "UIDL", line));
    });
  }

  /**
   * RETR: the message, unstuffed, as it arrives. The iterable must be consumed (or abandoned
   * with `break`, which drains the rest) before the client does anything else. Each chunk is
   * the caller's: the client never reads or reuses it once yielded, so it may be kept, or
   * rewritten in place (as `apop` turns CRLF into LF).
   *
   * `maxOctets` caps this message (below `maxMessageOctets`): past it the iteration throws
   * `RemoteProtocolError` `message-too-large` and the connection is closed, so a server that
   * streams without end is cut off rather than drained. A program that knows the LIST size
   * can hold the server to it, with room for servers that count line ends short.
   */
  retr(message: number, options: { readonly maxOctets?: number } = {}): AsyncIterable<Uint8Array> {
    return this.#body({ keyword: "RETR", message }, options.maxOctets);
  }

  /** TOP (RFC 1939 section 7): the headers and the first `lines` lines of the body, streamed. */
  top(message: number, lines: number): AsyncIterable<Uint8Array> {
    return this.#body({ keyword: "TOP", message, lines });
  }

  /** RETR into one array. For small messages; large ones should stream with `retr`. */
  async retrBytes(message: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const part of this.retr(message)) parts.push(part);
    return concatBytes(parts);
  }

  /** DELE: marks a message deleted; the server removes it only after QUIT (UPDATE state). */
  dele(message: number): Promise<void> {
    return this.#simple({ keyword: "DELE", message });
  }

  /**
   * RETR for several messages, each streamed (RFC 1939 section 7). When the server lists
   * PIPELINING (RFC 2449 section 6.6), up to `window` RETRs are on the wire at once, so the
   * next message is already coming while this one is written to disk; without it, one at a
   * time. With no capabilities known yet, CAPA is asked first.
   *
   * Items come in the order of `messages`; body chunks are the caller's, as with `retr`. A
   * `-ERR` for one message is an item with `error`, not a throw; a broken connection (or a
   * body past `maxOctets`) throws. The client is held while the iteration runs. A body not
   * read to its end is read and dropped when the next item is asked for; stopping early
   * (`break`) reads and drops the replies still on the wire (at most `window`), so the next
   * command lines up with its reply.
   *
   * Throws `LocalProtocolError` `invalid-argument` for a message number below 1 or a `window`
   * below 1, before anything is sent.
   */
  retrEach(options: RetrEachOptions): AsyncGenerator<RetrEachItem, void, undefined> {
    const { maxOctets } = options;
    return this.#bodyEach({
      messages: options.messages,
      window: options.window,
      command: (message) => ({ keyword: "RETR", message }),
      maxOctets,
    });
  }

  /**
   * TOP for several messages (RFC 1939 section 7), each reply collected whole: what a message
   * list needs for its headers (`lines: 0`). Pipelined like `retrEach` (about N / window round
   * trips for N messages where the server lists PIPELINING, one at a time without it), and
   * like it: results in the order of `messages`, as their replies arrive; a `-ERR` for one
   * message (deleted meanwhile, unreadable) is a result with `error`, not a throw; a broken
   * connection throws; stopping early (`break`) reads and drops the replies still on the wire,
   * so a command queued meanwhile (a RETR the user asked for) goes next and lines up with its
   * reply.
   *
   * Throws `LocalProtocolError` `invalid-argument` for a message number below 1, negative
   * `lines` or a `window` below 1, before anything is sent.
   */
  async *topEach(options: TopEachOptions): AsyncGenerator<TopResult, void, undefined> {
    const { lines } = options;
    if (!(Number.isSafeInteger(lines) && lines >= 0)) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: `lines must be a whole number, got ${lines}`,
      });
    }
    const replies = this.#bodyEach({
      messages: options.messages,
      window: options.window,
      command: (message) => ({ keyword: "TOP", message, lines }),
    });
    for await (const reply of replies) {
      if (reply.error !== undefined) {
        yield reply;
        continue;
      }
      const parts: Uint8Array[] = [];
      for await (const part of reply.body) parts.push(part);
      yield { message: reply.message, data: concatBytes(parts) };
    }
  }

  /**
   * The pipelined loop of `retrEach` and `topEach`: one `command` per message, up to `window`
   * on the wire when the server pipelines, each `+OK` reply's body streamed.
   */
  async *#bodyEach(options: {
    readonly messages: readonly number[];
    readonly window: number | undefined;
    readonly command: (message: number) => Command;
    readonly maxOctets?: ((message: number) => number | undefined) | undefined;
  }): AsyncGenerator<RetrEachItem, void, undefined> {
    const { messages, maxOctets, command } = options;
    const window = checkedWindow(messages, options.window);
    const release = await this.#acquire();
    // Replies still owed by the server for commands sent, and whether the current one's body
    // is still being read.
    let owed = 0;
    let bodyOpen = false;
    let lined = true;
    const dropBody = async (): Promise<void> => {
      while (bodyOpen) {
        const event = await this.#next();
        if (event.type === "body-end") bodyOpen = false;
        else if (event.type !== "body-chunk") throw unexpected(event);
      }
    };
    try {
      const depth = (await this.#pipelines()) ? window : 1;
      let sent = 0;
      for (const message of messages) {
        if (refills(owed, depth)) {
          for (; owed < depth && sent < messages.length; sent++, owed++) {
            const number = messages[sent] as number;
            const limit = maxOctets?.(number);
            const now = this.#clock.now();
            this.#session.send(
              command(number),
              limit === undefined ? { now } : { now, maxBodyOctets: limit },
            );
          }
        }
        await this.#flush();
        const event = await this.#next();
        if (event.type !== "response-received") throw unexpected(event);
        owed--;
        if (!event.status.ok) {
          yield { message, error: replyError(event.command, event.status) };
          continue;
        }
        bodyOpen = true;
        const body = this.#openBody({
          ended: () => {
            bodyOpen = false;
          },
          // A body that failed (cut off past its limit, or the connection broke) leaves
          // nothing to drop: the connection is done for.
          failed: () => {
            lined = false;
          },
        });
        yield { message, body };
        if (!lined)
          throw new LocalProtocolError({
            code: "invalid-state",
            message: "the connection failed while a message was read",
          });
        await dropBody();
      }
    } catch (error) {
      // The connection is broken (the session is closed): nothing left to read.
      lined = false;
      throw error;
    } finally {
      try {
        if (lined) {
          await dropBody();
          for (; owed > 0; owed--) {
            const event = await this.#next();
            bodyOpen = event.type === "response-received" && event.status.ok;
            await dropBody();
          }
        }
      } catch {
        // The connection broke while the rest was dropped: the next command says so.
      } finally {
        release();
      }
    }
  }

  /**
   * DELE for several messages (RFC 1939 section 6), pipelined like `retrEach`. Resolves with
   * the messages the server refused (`-ERR`, for example already deleted), each with its
   * `Pop3Error`; an empty list when every one is marked. A broken connection throws.
   */
  async deleEach(
    options: EachOptions,
  ): Promise<{ readonly message: number; readonly error: Pop3Error }[]> {
    const replies = await this.#statusEach(options, (message) => ({ keyword: "DELE", message }));
    return replies.flatMap((reply) => (reply.error === undefined ? [] : [reply]));
  }

  /**
   * LIST n for several messages (RFC 1939 section 5), pipelined like `retrEach`: one result
   * per message, in the order of `messages`, with its size, or the server's `-ERR` (no such
   * message, deleted) as `error`. A malformed `+OK`, or one for another message, throws
   * `RemoteProtocolError` `bad-response` once every reply is read; a broken connection throws.
   */
  async listEach(options: EachOptions): Promise<EachResult<{ readonly size: number }>[]> {
    const replies = await this.#statusEach(options, (message) => ({ keyword: "LIST", message }));
    return replies.map((reply) => {
      if (reply.error !== undefined) return reply;
      const entry = parsed(parseScanListing(reply.text), "LIST", reply.text);
      return { message: sameMessage(reply.message, entry.message, "LIST"), size: entry.size };
    });
  }

  /**
   * UIDL n for several messages (RFC 1939 section 7), pipelined like `retrEach`: one result
   * per message, in the order of `messages`, with its unique-id, or the server's `-ERR` as
   * `error`. Throws like `listEach`.
   */
  async uidlEach(options: EachOptions): Promise<EachResult<{ readonly uid: string }>[]> {
    const replies = await this.#statusEach(options, (message) => ({ keyword: "UIDL", message }));
    return replies.map((reply) => {
      if (reply.error !== undefined) return reply;
      const entry = parsed(parseUniqueIdListing(reply.text), "UIDL", reply.text);
      return { message: sameMessage(reply.message, entry.message, "UIDL"), uid: entry.uid };
    });
  }

  /**
   * The pipelined loop of commands answered by one status line (DELE, LIST n, UIDL n): up to
   * `window` on the wire when the server pipelines, one at a time otherwise. Every reply is
   * read before this resolves, so the caller may throw on what it finds and the next command
   * still lines up with its reply.
   */
  #statusEach(
    options: EachOptions,
    command: (message: number) => Command,
  ): Promise<EachResult<{ readonly text: string }>[]> {
    const { messages } = options;
    const window = checkedWindow(messages, options.window);
    return this.#exclusive(async () => {
      const depth = (await this.#pipelines()) ? window : 1;
      const replies: EachResult<{ readonly text: string }>[] = [];
      let sent = 0;
      let owed = 0;
      for (const message of messages) {
        if (refills(owed, depth)) {
          for (; owed < depth && sent < messages.length; sent++, owed++) {
            this.#session.send(command(messages[sent] as number), { now: this.#clock.now() });
          }
        }
        await this.#flush();
        const event = await this.#next();
        if (event.type !== "response-received") throw unexpected(event);
        owed--;
        replies.push(
          event.status.ok
            ? { message, text: event.status.text }
            : { message, error: replyError(event.command, event.status) },
        );
      }
      return replies;
    });
  }

  /** RSET: unmarks every message marked deleted in this session. */
  rset(): Promise<void> {
    return this.#simple({ keyword: "RSET" });
  }

  /** NOOP: does nothing but keep the session (and its autologout timer) alive. */
  noop(): Promise<void> {
    return this.#simple({ keyword: "NOOP" });
  }

  /**
   * LANG without an argument (RFC 6856 section 3): the languages the server offers, its
   * preference first, as `{ tag, description }`.
   */
  languages(): Promise<{ readonly tag: string; readonly description: string }[]> {
    return this.#exclusive(async () => {
      const reply = await this.#command({ keyword: "LANG" });
      return (reply.lines ?? []).map((line) => {
        const space = line.indexOf(" ");
        return space === -1
          ? { tag: line, description: "" }
          : { tag: line.slice(0, space), description: line.slice(space + 1) };
      });
    });
  }

  /**
   * LANG with a language range (RFC 6856 section 3): resolves with the tag the server chose
   * (the first word of its `+OK`). Throws `Pop3Error` when it supports no such language.
   */
  lang(range: string): Promise<string> {
    return this.#exclusive(async () => {
      const reply = await this.#command({ keyword: "LANG", tag: range });
      return reply.status.text.split(" ")[0] ?? range;
    });
  }

  /** UTF8 (RFC 6856 section 2). */
  utf8(): Promise<void> {
    return this.#simple({ keyword: "UTF8" });
  }

  /**
   * QUIT. In TRANSACTION this enters UPDATE and the server removes the deleted messages; a
   * `-ERR` then (some deletes failed) throws `Pop3Error`. The connection is closed either way.
   */
  quit(): Promise<void> {
    return this.#exclusive(async () => {
      try {
        await this.#command({ keyword: "QUIT" });
      } finally {
        await this.#transport.close().catch(() => {});
      }
    });
  }

  /** Drops the connection without QUIT: nothing marked for deletion is deleted (RFC 1939 section 6). */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  // ---------------------------------------------------------------------------------------

  /**
   * RFC 6856 section 2.2: a client MUST NOT put UTF-8 in USER, PASS or APOP unless the server
   * lists the UTF8 capability with its USER argument. Where it does, UTF8 goes first (so the
   * server's texts may be UTF-8 too; a refusal changes nothing, the listing is the promise);
   * where it does not, nothing is sent and the call fails: `LocalProtocolError` `not-supported`.
   * ASCII credentials pass without a round trip.
   */
  async #utf8Credentials(user: string, secret: string, command: string): Promise<void> {
    if (isAscii(user) && isAscii(secret)) return;
    if (this.#session.capabilities === null) {
      await this.#command({ keyword: "CAPA" }, { allowError: true });
    }
    const utf8 = this.#session.capabilities?.get("UTF8");
    if (utf8?.some((argument) => argument.toUpperCase() === "USER") !== true) {
      throw new LocalProtocolError({
        code: "not-supported",
        message: `the user name or password is not ASCII and the server does not offer UTF8 USER (RFC 6856 section 2.2): ${command} would send it in an encoding the server never agreed to; use a SASL mechanism (SCRAM-SHA-256, PLAIN) or an ASCII login`,
      });
    }
    if (!this.#session.utf8) await this.#command({ keyword: "UTF8" }, { allowError: true });
  }

  /** What `chooseLoginMethod` needs to know about this connection (asks CAPA once). */
  async #choice(options: LoginOptions): Promise<ChooseLoginMethodOptions> {
    const capabilities = this.#session.capabilities ?? (await this.capa());
    return {
      offer: { capabilities, apopTimestamp: this.#greeting.timestamp !== null },
      secure: this.secure,
      allowPlaintext: options.allowPlaintext === true,
      client: {
        scram: this.#randomBytes !== undefined,
        channelBinding: (this.#transport.channelBinding?.() ?? null) !== null,
      },
      ...(options.remembered === undefined ? {} : { remembered: options.remembered }),
    };
  }

  async #chooseMethod(options: LoginOptions): Promise<Exclude<LoginMethod, "auto">> {
    const chosen = chooseLoginMethod(await this.#choice(options));
    if (chosen !== null) return chosen;
    throw new LocalProtocolError({
      code: "not-supported",
      message:
        "no login method keeps the password safe on this connection: the server offers neither CRAM-MD5 nor APOP (use STLS or implicit TLS, or allow plaintext)",
    });
  }

  #checkPlaintext(options: LoginOptions, method: string): void {
    if (this.secure || options.allowPlaintext === true) return;
    throw new LocalProtocolError({
      code: "not-supported",
      message: `${method} would send the password in clear on a connection without TLS; use TLS or allow plaintext explicitly`,
    });
  }

  #body(command: Command, maxOctets?: number): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<Uint8Array> => {
        let release: (() => void) | null = null;
        let done = false;
        const start = async (): Promise<void> => {
          release = await this.#acquire();
          this.#throwIfBroken();
          const now = this.#clock.now();
          this.#session.send(
            command,
            maxOctets === undefined ? { now } : { now, maxBodyOctets: maxOctets },
          );
          await this.#flush();
          const event = await this.#next();
          if (event.type !== "response-received") throw unexpected(event);
          if (!event.status.ok) throw replyError(command, event.status);
        };
        let started: Promise<void> | null = null;
        const finish = (): void => {
          done = true;
          release?.();
          release = null;
        };
        return {
          next: async (): Promise<IteratorResult<Uint8Array>> => {
            if (done) return { done: true, value: undefined };
            try {
              started ??= start();
              await started;
              const event = await this.#next();
              if (event.type === "body-chunk") return { done: false, value: event.data };
              if (event.type === "body-end") {
                finish();
                return { done: true, value: undefined };
              }
              throw unexpected(event);
            } catch (error) {
              finish();
              throw error;
            }
          },
          return: async (): Promise<IteratorResult<Uint8Array>> => {
            // Abandoned early: read and drop the rest of the body so the next reply lines up.
            try {
              if (!done && started !== null) {
                await started;
                for (
                  let event = await this.#next();
                  event.type === "body-chunk";
                  event = await this.#next()
                ) {}
              }
            } finally {
              finish();
            }
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** Whether the server pipelines (RFC 2449 section 6.6); asks CAPA once if nothing is known. */
  async #pipelines(): Promise<boolean> {
    this.#throwIfBroken();
    if (this.#session.capabilities === null) {
      await this.#command({ keyword: "CAPA" }, { allowError: true });
    }
    return this.#session.capabilities?.has("PIPELINING") === true;
  }

  /**
   * The body of the reply just received, as it streams: `ended` is called at its end,
   * `failed` when reading it threw.
   */
  #openBody(on: { ended: () => void; failed: () => void }): AsyncIterable<Uint8Array> {
    const next = (): Promise<ClientEvent> => this.#next();
    let done = false;
    return {
      async *[Symbol.asyncIterator]() {
        while (!done) {
          let event: ClientEvent;
          try {
            event = await next();
            if (event.type !== "body-end" && event.type !== "body-chunk") throw unexpected(event);
          } catch (error) {
            done = true;
            on.failed();
            throw error;
          }
          if (event.type === "body-end") {
            done = true;
            on.ended();
            return;
          }
          yield event.data;
        }
      },
    };
  }

  #simple(command: Command): Promise<void> {
    return this.#exclusive(async () => {
      await this.#command(command);
    });
  }

  /** Sends one command and reads its whole reply (status line and listing lines). */
  async #command(command: Command, options: { allowError?: boolean } = {}): Promise<Reply> {
    this.#session.send(command, { now: this.#clock.now() });
    await this.#flush();
    const event = await this.#next();
    if (event.type !== "response-received") throw unexpected(event);
    if (!event.status.ok && options.allowError !== true) throw replyError(command, event.status);
    return event.lines === undefined
      ? { status: event.status }
      : { status: event.status, lines: event.lines };
  }

  /** Writes what the session queued, in one write: pipelined commands leave in one segment. */
  async #flush(): Promise<void> {
    const output = this.#session.takeOutput();
    if (output.length === 0) return;
    await this.#transport.write(
      output.length === 1 ? (output[0] as Uint8Array) : concatBytes(output),
    );
  }

  /** The next event, reading from the transport as needed, until the session's deadline. */
  async #next(): Promise<ClientEvent> {
    for (;;) {
      const event = this.#events.shift();
      if (event !== undefined) {
        // The last reply is in: from now on the server has nothing to say until asked.
        this.#watchIdle();
        return event;
      }
      this.#reading ??= this.#transport.read();
      const chunk = await untilDeadline(this.#reading, this.#clock, this.#session.nextDeadline());
      if (chunk === TIMED_OUT) {
        try {
          this.#session.handleTimeout(this.#clock.now());
        } catch (error) {
          // The session is closed: so is the connection, and every later call says why.
          this.#broken = error as Error;
          void this.#transport.close().catch(() => {});
          throw error;
        }
        continue;
      }
      this.#reading = null;
      let events: ClientEvent[];
      try {
        events = this.#session.receive(chunk ?? new Uint8Array(0), this.#clock.now());
      } catch (error) {
        // The session is closed for good (a forged, oversized or cut-off reply): so is the
        // connection, rather than leaving the server streaming into a socket nobody reads.
        void this.#transport.close().catch(() => {});
        throw error;
      }
      this.#events.push(...events);
      // A reply may already ask for output (a held-back SASL initial response).
      await this.#flush();
    }
  }

  async #acquire(): Promise<() => void> {
    let release!: () => void;
    const previous = this.#lock;
    this.#lock = new Promise((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  }

  async #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.#acquire();
    try {
      this.#throwIfBroken();
      return await task();
    } finally {
      release();
    }
  }

  #throwIfBroken(): void {
    if (this.#broken !== null) throw this.#broken;
  }

  /**
   * Keeps a read outstanding while no command is pending, so that whatever the server sends
   * then is seen as what it is: unsolicited (the session throws `unexpected-data`), or the
   * end of the connection. Without it, bytes that arrived between two commands would sit in
   * the transport and be read as the reply to the next one (EAST `unsolicited` cases;
   * RFC 2449 section 6.6: replies come in order). The next command fails with what was found. When a
   * command is sent before the read completes, `#next` takes the read over as usual.
   */
  #watchIdle(): void {
    const session = this.#session;
    if (
      this.#reading !== null ||
      this.#broken !== null ||
      this.#events.length > 0 ||
      session.pending.length > 0 ||
      session.awaitingTls ||
      session.state === "CLOSED"
    ) {
      return;
    }
    const reading = this.#transport.read();
    this.#reading = reading;
    const idle = (): boolean => this.#reading === reading && session.pending.length === 0;
    reading.then(
      (chunk) => {
        if (!idle()) return;
        this.#reading = null;
        try {
          this.#events.push(...session.receive(chunk ?? new Uint8Array(0), this.#clock.now()));
        } catch (error) {
          this.#broken = error as Error;
          void this.#transport.close().catch(() => {});
          return;
        }
        if (chunk === null) {
          this.#broken = new RemoteProtocolError({
            code: "connection-closed",
            message: "the server closed the connection",
          });
        }
      },
      (error: unknown) => {
        if (!idle()) return;
        this.#reading = null;
        this.#broken = error instanceof Error ? error : new Error(String(error));
      },
    );
  }
}

const TIMED_OUT: unique symbol = Symbol("timed out");

/** Waits for `promise`, or until the clock reaches `deadline` (never, when it is null). */
async function untilDeadline<T>(
  promise: Promise<T>,
  clock: Clock,
  deadline: number | null,
): Promise<T | typeof TIMED_OUT> {
  if (deadline === null) return promise;
  let cancel = (): void => {};
  const timer = new Promise<typeof TIMED_OUT>((resolve) => {
    cancel = clock.setTimer(Math.max(0, deadline - clock.now()), () => resolve(TIMED_OUT));
  });
  try {
    return await Promise.race([promise, timer]);
  } finally {
    cancel();
  }
}

function replyError(command: Command, status: StatusLine): Pop3Error {
  return new Pop3Error({
    command: command.keyword,
    responseCode: status.code,
    serverText: status.text,
  });
}

function unexpected(event: ClientEvent): RemoteProtocolError {
  return new RemoteProtocolError({ code: "bad-response", message: `unexpected ${event.type}` });
}

function parsed<T>(value: T | null, keyword: string, text: string): T {
  if (value === null) {
    throw new RemoteProtocolError({
      code: "bad-response",
      message: `malformed ${keyword} reply: ${JSON.stringify(text.slice(0, 80))}`,
    });
  }
  return value;
}

/** The message number a `LIST n` or `UIDL n` reply names, which must be the one asked for. */
function sameMessage(asked: number, answered: number, keyword: string): number {
  if (answered !== asked) {
    throw new RemoteProtocolError({
      code: "bad-response",
      message: `${keyword} ${asked} answered for message ${answered}`,
    });
  }
  return asked;
}

/**
 * Whether a pipeline with `owed` replies outstanding of `depth` is topped up now: once half
 * of it is answered. The commands then leave in batches, one write (and one wake-up of the
 * server) for half a window, rather than one write per reply; the server still has half a
 * window of work queued. Without pipelining (`depth` 1), the next command goes after each
 * reply.
 */
function refills(owed: number, depth: number): boolean {
  return owed <= depth / 2;
}

/** The pipeline window, checked with the message numbers; throws before anything is sent. */
function checkedWindow(messages: readonly number[], window = PIPELINE_WINDOW): number {
  const bad = messages.find((message) => !(Number.isSafeInteger(message) && message >= 1));
  const problem = !(Number.isSafeInteger(window) && window >= 1)
    ? `window must be a positive integer, got ${window}`
    : bad !== undefined
      ? `not a message number: ${bad}`
      : null;
  if (problem !== null)
    throw new LocalProtocolError({ code: "invalid-argument", message: problem });
  return window;
}

/** `text` SASLprepped (RFC 6856 section 2.2), or refused before anything is sent. */
function prepared(text: string, stored: boolean): string {
  const result = prepareLoginString({ text, stored });
  if (result === null) {
    throw new LocalProtocolError({
      code: "invalid-argument",
      message:
        "the user name or password contains a character SASLprep prohibits (RFC 4013 section 2.3); the server would reject it",
    });
  }
  return result;
}
