/**
 * The POP3 state machine, as data.
 *
 * Theory of operation (RFC 1939 section 3):
 *
 * A POP3 session moves through three states. It opens in AUTHORIZATION once the server's
 * greeting is out. There the client identifies itself (USER/PASS, APOP or AUTH) and may ask
 * what the server can do (CAPA), turn on TLS (STLS), UTF-8 (UTF8) or a language (LANG). A
 * successful login takes the maildrop lock and moves the session to TRANSACTION, where the
 * messages are numbered from the snapshot taken at that moment and never renumbered. In
 * TRANSACTION the client lists, reads and marks messages. QUIT in TRANSACTION enters UPDATE:
 * only there are the marked messages removed, and then the connection closes. QUIT in
 * AUTHORIZATION closes without UPDATE. Any other end (a dropped connection, the autologout
 * timer) closes without UPDATE, so nothing is deleted (RFC 1939 section 6).
 *
 * Two rules keep this file honest (h11 `_state.py`):
 * 1. Every change of state comes from this file. `TRANSITIONS` says which command is allowed
 *    in which state and where its success leads; `EVENT_TRANSITIONS` says where the changes
 *    that no command causes lead (a timeout, a limit reached, a failed TLS handshake, the
 *    peer closing, UPDATE finished, the final reply received). The sessions ask these tables
 *    and assign their state nowhere else (each has one `#enter`, fed only by `nextState` and
 *    `stateAfter`). A command whose entry is `null` is refused: the server answers `-ERR`,
 *    the client throws `LocalProtocolError` before sending it. An event whose entry is
 *    `null` cannot happen in that state, or changes nothing there.
 * 2. This file does not know which role it plays. The server and client sessions read the
 *    same tables, so they cannot disagree about what is legal. `EVENT_SOURCES` only says which
 *    side can observe each event, so the table test knows what to walk.
 *
 * An entry names the state a command leads to when it succeeds. A failed command leaves the
 * state as it was (a wrong password stays in AUTHORIZATION, RFC 1939 section 7). What happens
 * inside a state (the USER-then-PASS pairing, a SASL exchange, a pending STLS handshake) is
 * finer than this table; the sessions track it, each in one documented place.
 *
 * The compiler checks that the tables are complete: every state lists every keyword and every
 * event. The diagram in docs/state-machine.md is generated from both (`renderStateDiagram`),
 * and a test fails when it is stale.
 */
import type { Keyword } from "../grammar/command.ts";

/** The states of RFC 1939 section 3, plus CLOSED for a session that has ended. */
export type SessionState = "AUTHORIZATION" | "TRANSACTION" | "UPDATE" | "CLOSED";

export const SESSION_STATES: readonly SessionState[] = [
  "AUTHORIZATION",
  "TRANSACTION",
  "UPDATE",
  "CLOSED",
];

type TransitionTable = {
  readonly [S in SessionState]: { readonly [K in Keyword]: SessionState | null };
};

/** No command is valid once the session is in UPDATE or closed. */
const NOTHING = {
  USER: null,
  PASS: null,
  APOP: null,
  STAT: null,
  LIST: null,
  RETR: null,
  DELE: null,
  NOOP: null,
  RSET: null,
  QUIT: null,
  TOP: null,
  UIDL: null,
  CAPA: null,
  STLS: null,
  AUTH: null,
  UTF8: null,
  LANG: null,
} as const;

export const TRANSITIONS = {
  AUTHORIZATION: {
    // RFC 1939 section 7: USER names the maildrop; a PASS must follow it.
    USER: "AUTHORIZATION",
    // RFC 1939 section 7: a right password takes the lock and enters TRANSACTION.
    PASS: "TRANSACTION",
    // RFC 1939 section 7: the digest of the greeting's timestamp and the shared secret.
    APOP: "TRANSACTION",
    // RFC 5034 section 4: SASL; success enters TRANSACTION.
    AUTH: "TRANSACTION",
    // RFC 2449 section 5: CAPA works before and after login.
    CAPA: "AUTHORIZATION",
    // RFC 2595 section 4: only in AUTHORIZATION; the handshake restarts the state's
    // knowledge (the client must ask CAPA again).
    STLS: "AUTHORIZATION",
    // RFC 6856 section 2.1: UTF8 only before authentication.
    UTF8: "AUTHORIZATION",
    // RFC 6856 section 3: LANG in AUTHORIZATION and TRANSACTION.
    LANG: "AUTHORIZATION",
    // RFC 1939 section 4: QUIT here closes without UPDATE.
    QUIT: "CLOSED",
    // RFC 1939 section 5: the maildrop commands need a maildrop, so only after login.
    STAT: null,
    LIST: null,
    RETR: null,
    DELE: null,
    NOOP: null,
    RSET: null,
    TOP: null,
    UIDL: null,
  },
  TRANSACTION: {
    STAT: "TRANSACTION",
    LIST: "TRANSACTION",
    RETR: "TRANSACTION",
    DELE: "TRANSACTION",
    NOOP: "TRANSACTION",
    RSET: "TRANSACTION",
    TOP: "TRANSACTION",
    UIDL: "TRANSACTION",
    CAPA: "TRANSACTION",
    LANG: "TRANSACTION",
    // RFC 1939 section 6: QUIT from TRANSACTION, and only from there, enters UPDATE.
    QUIT: "UPDATE",
    // Identification is over; a second login or STLS after login is refused
    // (RFC 2595 section 4: STLS only in AUTHORIZATION; RFC 6856 section 2.1 for UTF8).
    USER: null,
    PASS: null,
    APOP: null,
    AUTH: null,
    STLS: null,
    UTF8: null,
  },
  // In UPDATE the server applies the deletes and closes; the client waits for the final
  // reply. Nothing more is read.
  UPDATE: NOTHING,
  CLOSED: NOTHING,
} as const satisfies TransitionTable;

/**
 * The changes of state that no command causes. Each is something a session observes; which
 * side can observe which is `EVENT_SOURCES`.
 */
export type SessionEvent =
  /** The inactivity or login timer ran out (RFC 1939 section 3), or no reply came in time. */
  | "timeout"
  /** A limit of `limits.ts` was reached: bad commands, failed logins, an oversized reply. */
  | "limit-reached"
  /** The TLS handshake after STLS failed (RFC 2595 section 4): nothing goes on in clear. */
  | "handshake-failed"
  /** The other side closed the connection. */
  | "peer-closed"
  /** The server sent what cannot be a reply (a bad greeting, unsolicited or malformed data). */
  | "protocol-violation"
  /** The greeting was `-ERR` (RFC 2449 section 8.1.2's `[SYS/TEMP]`, a busy server). */
  | "greeting-refused"
  /** The store failed after a message had started to go out: the reply cannot be repaired. */
  | "store-failed"
  /** The deletes of UPDATE were applied (or failed) and the final reply went out. */
  | "update-finished"
  /** The reply to QUIT arrived: whatever it says, the server closes (RFC 1939 section 6). */
  | "final-reply-received";

export const SESSION_EVENTS: readonly SessionEvent[] = [
  "timeout",
  "limit-reached",
  "handshake-failed",
  "peer-closed",
  "protocol-violation",
  "greeting-refused",
  "store-failed",
  "update-finished",
  "final-reply-received",
];

type EventTable = {
  readonly [S in SessionState]: { readonly [E in SessionEvent]: SessionState | null };
};

export const EVENT_TRANSITIONS = {
  AUTHORIZATION: {
    // RFC 1939 section 3: the server may close an idle session; a client stops waiting.
    timeout: "CLOSED",
    "limit-reached": "CLOSED",
    // RFC 2595 section 4: STLS is only possible here, and a failed handshake ends the session.
    "handshake-failed": "CLOSED",
    "peer-closed": "CLOSED",
    "protocol-violation": "CLOSED",
    "greeting-refused": "CLOSED",
    // No message is sent before login.
    "store-failed": null,
    "update-finished": null,
    // QUIT in AUTHORIZATION closes by the command table; a -ERR to it closes all the same.
    "final-reply-received": "CLOSED",
  },
  TRANSACTION: {
    // RFC 1939 section 3: the autologout timer; the session closes without UPDATE.
    timeout: "CLOSED",
    "limit-reached": "CLOSED",
    "handshake-failed": null,
    // RFC 1939 section 6: a dropped connection never enters UPDATE, so nothing is deleted.
    "peer-closed": "CLOSED",
    "protocol-violation": "CLOSED",
    "greeting-refused": null,
    "store-failed": "CLOSED",
    "update-finished": null,
    // A -ERR to QUIT (RFC 1939 section 6: some deletes failed) still ends the session.
    "final-reply-received": "CLOSED",
  },
  UPDATE: {
    // The server runs no timer while it applies the deletes.
    timeout: null,
    "limit-reached": null,
    "handshake-failed": null,
    // RFC 1939 section 6: QUIT was received, so the deletes are applied even if the client
    // hangs up now; UPDATE ends with `update-finished`.
    "peer-closed": null,
    "protocol-violation": null,
    "greeting-refused": null,
    "store-failed": null,
    "update-finished": "CLOSED",
    // The client passes through UPDATE on QUIT's +OK, which is the final reply.
    "final-reply-received": "CLOSED",
  },
  CLOSED: {
    timeout: null,
    "limit-reached": null,
    "handshake-failed": null,
    "peer-closed": null,
    "protocol-violation": null,
    "greeting-refused": null,
    "store-failed": null,
    "update-finished": null,
    "final-reply-received": null,
  },
} as const satisfies EventTable;

/** Which session can observe each event (for the table test and the diagram's labels). */
export const EVENT_SOURCES: { readonly [E in SessionEvent]: readonly ("server" | "client")[] } = {
  timeout: ["server", "client"],
  "limit-reached": ["server", "client"],
  "handshake-failed": ["server", "client"],
  "peer-closed": ["server", "client"],
  "protocol-violation": ["client"],
  "greeting-refused": ["client"],
  "store-failed": ["server"],
  "update-finished": ["server"],
  "final-reply-received": ["client"],
};

/** Where a command leads from `state` when it succeeds, or `null` when it is refused there. */
export function nextState(state: SessionState, keyword: Keyword): SessionState | null {
  return (TRANSITIONS as TransitionTable)[state][keyword];
}

/** Where `event` leads from `state`, or `null` when it cannot happen there or changes nothing. */
export function stateAfter(state: SessionState, event: SessionEvent): SessionState | null {
  return (EVENT_TRANSITIONS as EventTable)[state][event];
}

/**
 * Renders both tables as a Mermaid state diagram (the body of docs/state-machine.md):
 * commands on solid labels, one self-loop per state for the commands that keep it, and the
 * events (in parentheses) that no command causes.
 */
export function renderStateDiagram(): string {
  const lines = ["stateDiagram-v2", "    [*] --> AUTHORIZATION: greeting"];
  for (const from of SESSION_STATES) {
    const byTarget = new Map<SessionState, string[]>();
    for (const [keyword, to] of Object.entries((TRANSITIONS as TransitionTable)[from])) {
      if (to === null) continue;
      byTarget.set(to, [...(byTarget.get(to) ?? []), keyword]);
    }
    for (const [event, to] of Object.entries((EVENT_TRANSITIONS as EventTable)[from])) {
      if (to === null) continue;
      byTarget.set(to, [...(byTarget.get(to) ?? []), `(${event})`]);
    }
    for (const [to, labels] of byTarget) {
      lines.push(`    ${from} --> ${to}: ${labels.join(", ")}`);
    }
  }
  lines.push("    CLOSED --> [*]");
  return `${lines.join("\n")}\n`;
}
