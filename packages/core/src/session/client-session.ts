/**
 * The client side of a POP3 session: commands in, bytes out; bytes in, events out. No I/O.
 *
 * Theory of operation. The host calls `send(command)`, which checks the command against the
 * state table (states.ts), queues its bytes and remembers it as pending. Replies come back
 * strictly in order (RFC 1939 section 3; RFC 2449 section 6.6 for PIPELINING), so a FIFO of
 * pending commands tells which reply belongs to which command and whether it is multi-line.
 * `receive(chunk, now)` turns bytes into events:
 *
 * - `greeting-received` once, first;
 * - `response-received` for each reply's status line, with the lines of a multi-line listing
 *   (CAPA, LIST, UIDL, LANG, the bare AUTH listing) already collected;
 * - for RETR and TOP, `response-received` and then the unstuffed body as `body-chunk` events
 *   and a `body-end`, streamed: the body is never held whole;
 * - `continuation-received` for a SASL challenge during AUTH; answer with `sendSaslResponse`.
 *
 * Bytes that arrive with nothing pending are a protocol violation (a forged or unsolicited
 * reply; RFC 2449 section 6.6: replies come in order): `receive` throws `RemoteProtocolError` and the
 * session is closed.
 *
 * After a successful STLS reply the session throws away whatever the server sent behind it
 * in clear (the response injection flaw; RFC 2595 section 4) and ignores input until the host
 * calls `completeTls()`; it also forgets the cached capabilities.
 *
 * Time is an argument, as in the server session. While the session waits for the server (the
 * greeting, or the reply to a command) `nextDeadline()` says when `limits.replyTimeoutMs` of
 * silence runs out; any bytes received move it, so a slow reply that keeps moving is not cut
 * off. The host calls `handleTimeout(now)` then, which closes the session and throws
 * `RemoteProtocolError` `timeout`.
 *
 * Every change of state comes from the tables of states.ts: `nextState` for a successful
 * reply, `stateAfter` for the rest (the final reply to QUIT, the peer closing, a refused
 * greeting, a violation, a limit, a timeout, a failed handshake). `#enter` is the one place
 * the state is assigned.
 */
import { extractApopTimestamp } from "../auth/apop.ts";
import { concatBytes, latin1ToString } from "../bytes/ascii.ts";
import { LineReader } from "../bytes/line-reader.ts";
import { decodeUtf8, encodeUtf8 } from "../bytes/utf8.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { RemoteProtocolError } from "../errors/remote-protocol-error.ts";
import { type Capabilities, parseCapabilities } from "../grammar/capabilities.ts";
import { type Command, formatCommand } from "../grammar/command.ts";
import { MultilineDecoder } from "../grammar/multiline-decoder.ts";
import { parseContinuation, parseStatusLine, type StatusLine } from "../grammar/status-line.ts";
import { type Limits, MIN_COMMAND_LINE_OCTETS, resolveLimits } from "../limits.ts";
import { nextState, type SessionEvent, type SessionState, stateAfter } from "./states.ts";

export type ClientEvent =
  | {
      readonly type: "greeting-received";
      readonly status: StatusLine;
      /** The APOP timestamp, when the greeting carries exactly one strict msg-id. */
      readonly timestamp: string | null;
    }
  | {
      readonly type: "response-received";
      readonly command: Command;
      readonly status: StatusLine;
      /** The lines of a multi-line listing reply, unstuffed. Absent for one-line replies and bodies. */
      readonly lines?: readonly string[];
    }
  | { readonly type: "continuation-received"; readonly command: Command; readonly data: string }
  | { readonly type: "body-chunk"; readonly command: Command; readonly data: Uint8Array }
  | { readonly type: "body-end"; readonly command: Command; readonly octets: number };

export interface ClientSessionOptions {
  /** The clock when the connection opened: the wait for the greeting counts from here. Default 0. */
  readonly now?: number;
  readonly limits?: Partial<Limits>;
  /**
   * Largest multi-line body or listing accepted, in octets; past it `receive` throws. Default:
   * no limit for bodies; listings are capped by `limits.listingOctets` either way.
   */
  readonly maxBodyOctets?: number;
}

/** The part of a reply being read. */
type Reading =
  | { readonly kind: "status" }
  | {
      readonly kind: "listing";
      readonly command: Command;
      readonly status: StatusLine;
      readonly decoder: MultilineDecoder;
      readonly parts: Uint8Array[];
    }
  | { readonly kind: "body"; readonly command: Command; readonly decoder: MultilineDecoder };

export class ClientSession {
  readonly #limits: Limits;
  readonly #maxBodyOctets: number;
  readonly #reader: LineReader;
  readonly #pending: Command[] = [];
  #output: Uint8Array[] = [];
  #state: SessionState = "AUTHORIZATION";
  #greeted = false;
  #awaitingTls = false;
  #reading: Reading = { kind: "status" };
  #capabilities: Capabilities | null = null;
  #utf8 = false;
  /** Per-command caps from `send`, by the command object pending. */
  readonly #caps = new WeakMap<Command, number>();
  /** An initial response held back by the 255-octet rule (RFC 5034 section 4). */
  #deferredInitialResponse: string | null = null;
  /** When the server last sent bytes, or a command went out while nothing was pending. */
  #lastActivity: number;

  constructor(options: ClientSessionOptions = {}) {
    this.#limits = resolveLimits(options.limits);
    this.#lastActivity = options.now ?? 0;
    this.#maxBodyOctets = options.maxBodyOctets ?? Number.POSITIVE_INFINITY;
    this.#reader = new LineReader({ maxOctets: this.#limits.responseLineOctets });
  }

  /** The RFC 1939 state, as confirmed by the server's replies. */
  get state(): SessionState {
    return this.#state;
  }

  /** Commands sent and not yet answered, oldest first. */
  get pending(): readonly Command[] {
    return this.#pending;
  }

  /** The capabilities of the last successful CAPA, or null (none yet, or forgotten after STLS). */
  get capabilities(): Capabilities | null {
    return this.#capabilities;
  }

  /** Whether the server accepted UTF8 (RFC 6856 section 2): UTF-8 mode is on. */
  get utf8(): boolean {
    return this.#utf8;
  }

  /** True between a successful STLS reply and `completeTls()`. */
  get awaitingTls(): boolean {
    return this.#awaitingTls;
  }

  /** Drains the bytes to write to the server, in order. */
  takeOutput(): Uint8Array[] {
    const output = this.#output;
    this.#output = [];
    return output;
  }

  /**
   * Queues a command. Throws `LocalProtocolError` when the command is not valid in the current
   * state (states.ts), before the greeting, while STLS is in progress, or during a SASL
   * exchange. Commands may be pipelined within one state; a command that depends on a state
   * change (STAT after PASS) must wait for the reply that makes it.
   *
   * `maxBodyOctets` caps the multi-line reply of this one command (a RETR whose LIST size is
   * known), below the session's own `maxBodyOctets`.
   */
  send(
    command: Command,
    options: { readonly maxBodyOctets?: number; readonly now?: number } = {},
  ): void {
    if (!this.#greeted) throw invalidState("cannot send before the greeting");
    if (this.#awaitingTls) throw invalidState("cannot send while STLS is in progress");
    // Nothing may follow AUTH or STLS until their reply changes the session, nor QUIT, after
    // whose reply the server closes (RFC 1939 section 6): a command behind it is never answered.
    if (
      this.#pending.some(
        (pending) =>
          pending.keyword === "AUTH" || pending.keyword === "STLS" || pending.keyword === "QUIT",
      )
    ) {
      throw invalidState(
        `cannot send ${command.keyword} while ${this.#pending.at(-1)?.keyword} is in progress`,
      );
    }
    if (nextState(this.#state, command.keyword) === null) {
      throw invalidState(`${command.keyword} is not valid in the ${this.#state} state`);
    }
    let bytes: Uint8Array;
    try {
      bytes = formatCommand(command);
    } catch (error) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: (error as Error).message,
        cause: error,
      });
    }
    // The reply timer starts with the first command the server owes a reply to; a command
    // pipelined behind others does not restart it.
    if (this.#pending.length === 0 && options.now !== undefined) this.#lastActivity = options.now;
    this.#output.push(bytes);
    this.#pending.push(command);
    if (options.maxBodyOctets !== undefined) this.#caps.set(command, options.maxBodyOctets);
  }

  /**
   * Starts a SASL exchange with AUTH (RFC 5034 section 4). When the initial response would
   * make the command line longer than 255 octets, it is held back: the command goes out bare
   * and the initial response answers the server's first (empty) challenge, as RFC 5034
   * requires and as Office 365 insists.
   */
  sendAuth(mechanism: string, initialResponse: string | null, now?: number): void {
    const at = now === undefined ? {} : { now };
    const line =
      initialResponse === null
        ? null
        : `AUTH ${mechanism} ${initialResponse === "" ? "=" : initialResponse}`;
    if (line !== null && line.length + 2 <= MIN_COMMAND_LINE_OCTETS) {
      this.send(
        {
          keyword: "AUTH",
          mechanism,
          initialResponse: initialResponse === "" ? "=" : (initialResponse as string),
        },
        at,
      );
      return;
    }
    this.send({ keyword: "AUTH", mechanism }, at);
    this.#deferredInitialResponse = initialResponse;
  }

  /** Answers a `continuation-received` with base64 text, or `*` to cancel (RFC 5034 section 4). */
  sendSaslResponse(base64: string): void {
    if (this.#pending[0]?.keyword !== "AUTH") throw invalidState("no SASL exchange in progress");
    if (/[\r\n]/.test(base64))
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: "SASL response must be one line",
      });
    this.#output.push(encodeUtf8(`${base64}\r\n`));
  }

  /**
   * Tells the session that the TLS handshake after STLS is done. A failed handshake
   * (`{ ok: false }`) closes the session: nothing goes on in clear (RFC 2595 section 4).
   */
  completeTls(outcome: { readonly ok: boolean } = { ok: true }): void {
    if (!this.#awaitingTls) throw invalidState("no STLS handshake is pending");
    this.#awaitingTls = false;
    if (!outcome.ok) this.#happen("handshake-failed");
  }

  /**
   * When the host should call `handleTimeout`: `limits.replyTimeoutMs` after the server last
   * sent anything, while a reply (or the greeting) is owed. Null while nothing is owed, during
   * the TLS handshake (the host times that), and once closed.
   */
  nextDeadline(): number | null {
    if (this.#state === "CLOSED" || this.#awaitingTls) return null;
    const waiting = !this.#greeted || this.#pending.length > 0 || this.#reading.kind !== "status";
    return waiting ? this.#lastActivity + this.#limits.replyTimeoutMs : null;
  }

  /**
   * Past the deadline, closes the session and throws `RemoteProtocolError` `timeout`: the
   * server went silent while it owed a reply. Before the deadline it does nothing.
   */
  handleTimeout(now: number): void {
    const deadline = this.nextDeadline();
    if (deadline === null || now < deadline) return;
    this.#happen("timeout");
    throw new RemoteProtocolError({
      code: "timeout",
      message: `no reply from the server within ${this.#limits.replyTimeoutMs} ms`,
    });
  }

  /**
   * Feeds received bytes. An empty chunk means the server closed the connection: if a reply
   * was still expected, that is `RemoteProtocolError` `connection-closed`.
   */
  receive(chunk: Uint8Array, now?: number): ClientEvent[] {
    if (this.#state === "CLOSED") {
      if (chunk.length === 0) return [];
      throw new RemoteProtocolError({
        code: "unexpected-data",
        message: "data after the session closed",
      });
    }
    if (chunk.length === 0) {
      const expected =
        !this.#greeted || this.#pending.length > 0 || this.#reading.kind !== "status";
      this.#happen("peer-closed");
      if (expected) {
        throw new RemoteProtocolError({
          code: "connection-closed",
          message: "the server closed the connection before replying",
        });
      }
      return [];
    }
    // RFC 2595 section 4: nothing the server sends between its STLS reply and the handshake counts.
    if (this.#awaitingTls) return [];
    if (now !== undefined) this.#lastActivity = now;
    // A server only ever answers: a byte with no command pending is not part of any reply, even
    // before its line is complete (EAST `unsolicited` cases).
    if (this.#idle()) throw this.#unsolicited(chunk);
    const events: ClientEvent[] = [];
    let input: Uint8Array | null = chunk;
    while (input !== null && input.length > 0) {
      input =
        this.#reading.kind === "status"
          ? this.#readStatus(input, events)
          : this.#readBlock(input, events);
      // The state may have changed while reading (TS narrowed it above).
      if (this.#awaitingTls || (this.#state as SessionState) === "CLOSED") break;
    }
    // Bytes left behind the last reply, with nothing pending: they would otherwise be taken as
    // the start of the reply to whatever command is sent next.
    if (this.#idle() && this.#reader.buffered > 0) {
      throw this.#unsolicited(this.#reader.takeRest());
    }
    return events;
  }

  /** Greeted, open, and every command answered: the server has nothing to say. */
  #idle(): boolean {
    return (
      this.#greeted &&
      this.#state !== "CLOSED" &&
      !this.#awaitingTls &&
      this.#pending.length === 0 &&
      this.#reading.kind === "status"
    );
  }

  #unsolicited(bytes: Uint8Array): RemoteProtocolError {
    return this.#fail(
      "protocol-violation",
      new RemoteProtocolError({
        code: "unexpected-data",
        message: `unexpected data with no command pending: ${shown(bytes)}`,
      }),
    );
  }

  // ---------------------------------------------------------------------------------------

  /** Reads status lines; returns the bytes that belong to a multi-line block, if one starts. */
  #readStatus(chunk: Uint8Array, events: ClientEvent[]): Uint8Array | null {
    this.#reader.push(chunk);
    for (;;) {
      const read = this.#reader.next();
      if (read === null) return null;
      if (read.type === "line-too-long") {
        throw this.#fail(
          "limit-reached",
          new RemoteProtocolError({
            code: "line-too-long",
            message: `a response line is longer than ${this.#limits.responseLineOctets} octets`,
          }),
        );
      }
      this.#statusLine(read.line, events);
      if (this.#awaitingTls) {
        // The response injection flaw: drop what came behind the STLS reply.
        this.#reader.takeRest();
        return null;
      }
      if (this.#state === "CLOSED") return null;
      if (this.#reading.kind !== "status") return this.#reader.takeRest();
    }
  }

  #statusLine(line: Uint8Array, events: ClientEvent[]): void {
    if (!this.#greeted) {
      const status = parseStatusLine(line);
      if (status === null)
        throw this.#fail(
          "protocol-violation",
          new RemoteProtocolError({
            code: "bad-greeting",
            message: `bad greeting: ${shown(line)}`,
          }),
        );
      this.#greeted = true;
      if (!status.ok) this.#happen("greeting-refused");
      const extracted = extractApopTimestamp(status.text);
      events.push({
        type: "greeting-received",
        status,
        timestamp: extracted.ok ? extracted.timestamp : null,
      });
      return;
    }
    const command = this.#pending[0];
    if (command === undefined) {
      throw this.#fail(
        "protocol-violation",
        new RemoteProtocolError({
          code: "unexpected-data",
          message: `unexpected data with no command pending: ${shown(line)}`,
        }),
      );
    }
    if (command.keyword === "AUTH" && command.mechanism !== undefined) {
      const data = parseContinuation(line);
      if (data !== null) {
        if (this.#deferredInitialResponse !== null) {
          // RFC 5034 section 4: the held-back initial response answers the empty challenge.
          const response = this.#deferredInitialResponse;
          this.#deferredInitialResponse = null;
          this.#output.push(encodeUtf8(`${response}\r\n`));
          return;
        }
        events.push({ type: "continuation-received", command, data });
        return;
      }
    }
    const status = parseStatusLine(line);
    if (status === null) {
      throw this.#fail(
        "protocol-violation",
        new RemoteProtocolError({
          code: "bad-response",
          message: `bad response to ${command.keyword}: ${shown(line)}`,
        }),
      );
    }
    if (status.ok && isMultiline(command)) {
      const decoder = new MultilineDecoder();
      if (isBody(command)) {
        this.#reading = { kind: "body", command, decoder };
        events.push({ type: "response-received", command, status });
      } else {
        this.#reading = { kind: "listing", command, status, decoder, parts: [] };
      }
      return;
    }
    this.#pending.shift();
    if (command.keyword === "AUTH") this.#deferredInitialResponse = null;
    if (status.ok) this.#advance(command);
    // RFC 1939 section 6: after its reply to QUIT the server closes, +OK or -ERR.
    if (command.keyword === "QUIT") this.#happen("final-reply-received");
    events.push({ type: "response-received", command, status });
  }

  /** Reads a multi-line block; returns what follows its terminator. */
  #readBlock(chunk: Uint8Array, events: ClientEvent[]): Uint8Array | null {
    const reading = this.#reading as Exclude<Reading, { kind: "status" }>;
    const { data, end, rest } = reading.decoder.push(chunk);
    // A listing is held whole until its end, so it has a cap of its own (`listingOctets`).
    const cap = Math.min(
      this.#maxBodyOctets,
      this.#caps.get(reading.command) ?? Number.POSITIVE_INFINITY,
      reading.kind === "listing" ? this.#limits.listingOctets : Number.POSITIVE_INFINITY,
    );
    if (reading.decoder.octets > cap) {
      throw this.#fail(
        "limit-reached",
        new RemoteProtocolError({
          code: "message-too-large",
          message: `reply to ${reading.command.keyword} is larger than ${cap} octets`,
        }),
      );
    }
    if (reading.kind === "body") {
      // The decoder splits a chunk where it drops a stuffing dot. Pieces of a useful size go
      // out as they are, views of the received chunk: copying them into one array (fresh
      // memory for every chunk of a large message) cost more than the decoding. Small ones
      // are joined into one event per received chunk, so a dot-heavy message does not come
      // out one line at a time.
      if (data.length === 1 || decodedOctets(data) >= data.length * JOIN_BELOW_OCTETS) {
        for (const part of data)
          events.push({ type: "body-chunk", command: reading.command, data: part });
      } else if (data.length > 1) {
        events.push({ type: "body-chunk", command: reading.command, data: concatBytes(data) });
      }
    } else {
      for (const part of data) reading.parts.push(part.slice());
    }
    if (!end) return null;
    this.#pending.shift();
    this.#reading = { kind: "status" };
    if (reading.kind === "body") {
      events.push({ type: "body-end", command: reading.command, octets: reading.decoder.octets });
    } else {
      const lines = splitLines(concatBytes(reading.parts));
      if (reading.command.keyword === "CAPA") this.#capabilities = parseCapabilities(lines);
      events.push({
        type: "response-received",
        command: reading.command,
        status: reading.status,
        lines,
      });
    }
    return rest;
  }

  /** Follows a successful reply through the command table. */
  #advance(command: Command): void {
    this.#enter(nextState(this.#state, command.keyword));
    if (command.keyword === "UTF8") this.#utf8 = true;
    if (command.keyword === "STLS") {
      this.#awaitingTls = true;
      this.#capabilities = null;
    }
  }

  /** Follows an event through the event table. */
  #happen(event: SessionEvent): void {
    this.#enter(stateAfter(this.#state, event));
  }

  /** The one assignment of the state; `to` comes from `nextState` or `stateAfter`. */
  #enter(to: SessionState | null): void {
    if (to !== null) this.#state = to;
  }

  #fail(event: SessionEvent, error: RemoteProtocolError): RemoteProtocolError {
    this.#happen(event);
    return error;
  }
}

/** RFC 1939 and RFC 2449: which successful replies are multi-line. `LIST 3` is one line. */
/** Body pieces shorter than this on average are joined into one `body-chunk` event. */
const JOIN_BELOW_OCTETS = 1024;

function decodedOctets(parts: readonly Uint8Array[]): number {
  let octets = 0;
  for (const part of parts) octets += part.length;
  return octets;
}

function isMultiline(command: Command): boolean {
  switch (command.keyword) {
    case "CAPA":
    case "RETR":
    case "TOP":
      return true;
    case "LIST":
    case "UIDL":
      return command.message === undefined;
    case "LANG":
      return command.tag === undefined;
    case "AUTH":
      return command.mechanism === undefined;
    default:
      return false;
  }
}

function isBody(command: Command): boolean {
  return command.keyword === "RETR" || command.keyword === "TOP";
}

function splitLines(bytes: Uint8Array): string[] {
  const text = decodeUtf8(bytes) ?? latin1ToString(bytes);
  const lines = text.split("\r\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function shown(line: Uint8Array): string {
  const text = latin1ToString(line.subarray(0, 80));
  return JSON.stringify(line.length > 80 ? `${text}...` : text);
}

function invalidState(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-state", message });
}
