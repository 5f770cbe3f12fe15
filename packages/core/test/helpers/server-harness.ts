/**
 * A synchronous host for driving `ServerSession` directly in tests: it answers the session's
 * `*-requested` events at once (a login against a few accounts, message bodies from fixture
 * strings, a TLS handshake that always succeeds, UPDATE), unless told to leave one pending so
 * the test can complete it by hand. Input and output are latin-1 strings, so every octet shows.
 */
import {
  apopDigest,
  cramMd5Server,
  type LoginOutcome,
  plainServer,
  type ServerEvent,
  type ServerPolicy,
  ServerSession,
  type ServerSessionOptions,
  wireSize,
} from "../../src/index.ts";
import { digestsEqual, hmacMd5, loginServer, toHex } from "../../src/internal.ts";

/** RFC 1939 section 7's example: this timestamp and `tanstaaf` give this digest. */
export const RFC_TIMESTAMP = "<1896.697170952@dbc.mtview.ca.us>";
export const RFC_DIGEST = "c4c9334bac560ecc979e58001b3e22fb";

export const ACCOUNTS: Readonly<Record<string, string>> = {
  mrose: "tanstaaf",
  alice: "wonder land",
};

/** Three messages; the second has lines that need dot-stuffing. */
export const MESSAGES: readonly string[] = [
  "Subject: one\r\n\r\nbody one\r\n",
  "Subject: two\r\nFrom: b@example.org\r\n\r\nline 1\r\n.dot\r\nline 3\r\n",
  "Subject: three\r\n\r\nx\r\n",
];

export const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
export const text = (bytes: Uint8Array): string => {
  let out = "";
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
};

export type LoginRequest = Extract<ServerEvent, { type: "login-requested" }>;

export interface HarnessOptions {
  readonly policy?: ServerPolicy;
  readonly limits?: ServerSessionOptions["limits"];
  readonly tlsActive?: boolean;
  /** `ServerSessionOptions.reuseBodyBuffer`. */
  readonly reuseBodyBuffer?: boolean;
  /** Leave these requests pending instead of answering them. */
  readonly manual?: readonly ("login" | "body" | "tls" | "update")[];
  /** Overrides the login check; return the outcome to give. */
  readonly login?: (request: LoginRequest) => LoginOutcome;
  readonly messages?: readonly string[];
  /** Start with no APOP timestamp given, so the session makes one. */
  readonly randomTimestamp?: boolean;
  readonly now?: number;
}

/** The default policy: plaintext logins allowed, the three SASL mechanisms on offer. */
export const DEFAULT_POLICY: ServerPolicy = {
  allowPlaintextAuth: true,
  saslMechanisms: [plainServer, loginServer, cramMd5Server],
};

export class ServerHarness {
  readonly session: ServerSession;
  /** Every event the session reported, completions included, in order. */
  readonly events: ServerEvent[] = [];
  readonly messages: readonly string[];
  now: number;
  readonly #manual: ReadonlySet<string>;
  readonly #login: (request: LoginRequest) => LoginOutcome;

  constructor(options: HarnessOptions = {}) {
    this.now = options.now ?? 0;
    this.messages = options.messages ?? MESSAGES;
    this.#manual = new Set(options.manual ?? []);
    this.#login = options.login ?? ((request) => this.checkLogin(request));
    this.session = new ServerSession({
      hostname: "pop.example",
      now: this.now,
      randomBytes: (length) => new Uint8Array(length).fill(0xab),
      ...(options.randomTimestamp ? {} : { apopTimestamp: RFC_TIMESTAMP }),
      policy: options.policy ?? DEFAULT_POLICY,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(options.tlsActive === undefined ? {} : { tlsActive: options.tlsActive }),
      ...(options.reuseBodyBuffer === undefined
        ? {}
        : { reuseBodyBuffer: options.reuseBodyBuffer }),
    });
  }

  /** The greeting and anything else not yet taken. */
  output(): string {
    return this.session.takeOutput().map(text).join("");
  }

  /** Feeds one chunk, answers the events, and returns what the session wrote. */
  send(input: string | Uint8Array): string {
    this.handle(this.session.receive(typeof input === "string" ? latin1(input) : input, this.now));
    return this.output();
  }

  /** The events reported since `mark` (an index into `events`). */
  since(mark: number): ServerEvent[] {
    return this.events.slice(mark);
  }

  /** Records the events and answers the requests that are not manual. */
  handle(events: readonly ServerEvent[]): void {
    const queue = [...events];
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      this.events.push(event);
      switch (event.type) {
        case "login-requested":
          if (!this.#manual.has("login"))
            queue.push(...this.session.completeLogin(this.#login(event), this.now));
          break;
        case "message-requested":
          if (!this.#manual.has("body")) {
            this.session.sendBody(latin1(this.messages[event.index] as string));
            queue.push(...this.session.endBody(this.now));
          }
          break;
        case "tls-requested":
          if (!this.#manual.has("tls"))
            queue.push(...this.session.completeTls({ ok: true }, this.now));
          break;
        case "update-requested":
          if (!this.#manual.has("update")) queue.push(...this.session.completeUpdate({ ok: true }));
          break;
        default:
          break;
      }
    }
  }

  /** Checks a proof against `ACCOUNTS` and opens the fixture maildrop. */
  checkLogin(request: LoginRequest): LoginOutcome {
    const secret = ACCOUNTS[request.user];
    const proof = request.proof;
    let ok = false;
    if (secret !== undefined) {
      if (proof.kind === "password") ok = proof.password === secret;
      else if (proof.kind === "apop")
        ok = digestsEqual(apopDigest({ timestamp: proof.timestamp, secret }), proof.digest);
      else if (proof.kind === "cram-md5")
        ok =
          toHex(hmacMd5({ key: latin1(secret), message: latin1(proof.challenge) })) ===
          proof.digest;
    }
    return ok ? { ok: true, messages: this.maildrop() } : { ok: false, reason: "auth" };
  }

  maildrop(): { size: number; uid: string }[] {
    return this.messages.map((message, index) => ({
      size: wireSize(latin1(message)),
      uid: `uid-${index + 1}`,
    }));
  }

  /** Logs in with USER/PASS (needs plaintext allowed) and returns the output of PASS. */
  login(user = "mrose", password = ACCOUNTS[user] ?? "x"): string {
    this.send(`USER ${user}\r\n`);
    return this.send(`PASS ${password}\r\n`);
  }
}

/** The CRLF lines of an output string (the last, empty piece dropped). */
export function lines(output: string): string[] {
  const parts = output.split("\r\n");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** Base64 of latin-1 text, for SASL responses in tests. */
export function b64(value: string): string {
  return btoa(value);
}
