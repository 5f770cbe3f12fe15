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
 * 1. Everything that decides which command is allowed in which state, and where it leads,
 *    lives in `TRANSITIONS` below. The sessions ask this table; they do not keep their own
 *    lists. A command whose entry is `null` is refused: the server answers `-ERR`, the client
 *    throws `LocalProtocolError` before sending it.
 * 2. This file does not know which role it plays. The server and client sessions read the
 *    same table, so they cannot disagree about what is legal.
 *
 * An entry names the state a command leads to when it succeeds. A failed command leaves the
 * state as it was (a wrong password stays in AUTHORIZATION, RFC 1939 section 7). What happens
 * inside a state (the USER-then-PASS pairing, a SASL exchange, a pending STLS handshake) is
 * finer than this table; the sessions track it, each in one documented place.
 *
 * The compiler checks that the table is complete: every state lists every keyword. The
 * diagram in docs/state-machine.md is generated from this table (`renderStateDiagram`), and a
 * test fails when it is stale.
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

/** Where a command leads from `state` when it succeeds, or `null` when it is refused there. */
export function nextState(state: SessionState, keyword: Keyword): SessionState | null {
  return (TRANSITIONS as TransitionTable)[state][keyword];
}

/**
 * Renders the table as a Mermaid state diagram (the body of docs/state-machine.md). Commands
 * that keep the state are listed on one self-loop per state.
 */
export function renderStateDiagram(): string {
  const lines = ["stateDiagram-v2", "    [*] --> AUTHORIZATION: greeting"];
  for (const from of SESSION_STATES) {
    const byTarget = new Map<SessionState, string[]>();
    for (const [keyword, to] of Object.entries((TRANSITIONS as TransitionTable)[from])) {
      if (to === null) continue;
      byTarget.set(to, [...(byTarget.get(to) ?? []), keyword]);
    }
    for (const [to, keywords] of byTarget) {
      lines.push(`    ${from} --> ${to}: ${keywords.join(", ")}`);
    }
  }
  lines.push("    UPDATE --> CLOSED: deletes applied");
  lines.push("    CLOSED --> [*]");
  return `${lines.join("\n")}\n`;
}
