// The tables drive the state: every non-null entry of TRANSITIONS and EVENT_TRANSITIONS is
// walked through the sessions that can take it, and each lands where its entry says.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  apopDigest,
  ClientSession,
  type Command,
  type Keyword,
  type SessionEvent,
  type SessionState,
} from "../src/index.ts";
import { EVENT_SOURCES, EVENT_TRANSITIONS, stateAfter, TRANSITIONS } from "../src/internal.ts";
import { latin1, RFC_TIMESTAMP } from "./helpers/server-harness.ts";
import { SessionPair } from "./helpers/session-pair.ts";

/** For each keyword: the commands that make it succeed, itself last. */
const SUCCEEDING: { readonly [K in Keyword]: readonly Command[] } = {
  USER: [{ keyword: "USER", name: "mrose" }],
  PASS: [
    { keyword: "USER", name: "mrose" },
    { keyword: "PASS", password: "tanstaaf" },
  ],
  APOP: [
    {
      keyword: "APOP",
      name: "mrose",
      digest: apopDigest({ timestamp: RFC_TIMESTAMP, secret: "tanstaaf" }),
    },
  ],
  AUTH: [{ keyword: "AUTH", mechanism: "PLAIN", initialResponse: btoa("\0mrose\0tanstaaf") }],
  CAPA: [{ keyword: "CAPA" }],
  STLS: [{ keyword: "STLS" }],
  UTF8: [{ keyword: "UTF8" }],
  LANG: [{ keyword: "LANG", tag: "en" }],
  QUIT: [{ keyword: "QUIT" }],
  STAT: [{ keyword: "STAT" }],
  LIST: [{ keyword: "LIST" }],
  RETR: [{ keyword: "RETR", message: 1 }],
  DELE: [{ keyword: "DELE", message: 1 }],
  NOOP: [{ keyword: "NOOP" }],
  RSET: [{ keyword: "RSET" }],
  TOP: [{ keyword: "TOP", message: 2, lines: 1 }],
  UIDL: [{ keyword: "UIDL" }],
};

/** A pair whose client and server are both in `state`. */
function pairIn(state: SessionState, options: ConstructorParameters<typeof SessionPair>[0] = {}) {
  const pair = new SessionPair(options);
  if (state === "TRANSACTION") pair.send(...SUCCEEDING.PASS);
  expect([pair.server.state, pair.client.state]).toEqual([state, state]);
  return pair;
}

const entries = <T extends string>(
  table: {
    readonly [S in SessionState]: { readonly [K in T]: SessionState | null };
  },
) =>
  (Object.keys(table) as SessionState[]).flatMap((from) =>
    (Object.entries(table[from]) as [T, SessionState | null][])
      .filter((entry): entry is [T, SessionState] => entry[1] !== null)
      .map(([cause, to]) => [from, cause, to] as const),
  );

describe("TRANSITIONS drives both sessions", () => {
  it.each(entries<Keyword>(TRANSITIONS))("%s --%s--> %s", (from, keyword, to) => {
    // The server's UPDATE is held so it can be seen before the deletes finish.
    const pair = pairIn(from, { hold: ["update"] });
    pair.send(...SUCCEEDING[keyword]);
    expect(pair.server.state).toBe(to);
    pair.harness.events.length = 0;
    if (pair.server.state === "UPDATE") pair.serve(pair.server.completeUpdate({ ok: true }));
    pair.pump();
    expect(pair.clientError).toBeNull();
    // The client follows the table on the reply; QUIT's reply is also the final one, so it
    // passes through where QUIT leads and on by `final-reply-received` in the same step.
    const landed = keyword === "QUIT" ? (stateAfter(to, "final-reply-received") ?? to) : to;
    expect(pair.client.state).toBe(landed);
  });
});

/** How each session is made to observe each event from a state; returns where it landed. */
type Cause = (from: SessionState) => SessionState;

const SERVER_CAUSES: { readonly [E in SessionEvent]?: Cause } = {
  timeout: (from) => {
    const pair = pairIn(from);
    const deadline = pair.server.nextDeadline() as number;
    pair.harness.now = deadline;
    pair.serve(pair.server.handleTimeout(deadline));
    return pair.server.state;
  },
  "limit-reached": (from) => {
    const pair = pairIn(from, { limits: { badCommands: 2 } });
    pair.serve(pair.server.receive(latin1("BOGUS\r\nBOGUS\r\n"), pair.now));
    return pair.server.state;
  },
  "handshake-failed": (from) => {
    const pair = pairIn(from, { tlsOk: false });
    pair.send({ keyword: "STLS" });
    return pair.server.state;
  },
  "peer-closed": (from) => {
    const pair = pairIn(from);
    pair.serve(pair.server.receive(new Uint8Array(0), pair.now));
    return pair.server.state;
  },
  "store-failed": (from) => {
    const pair = pairIn(from, { hold: ["body"] });
    pair.send({ keyword: "RETR", message: 1 });
    pair.server.sendBody(latin1("Subject: half"));
    pair.serve(pair.server.failBody(pair.now));
    return pair.server.state;
  },
  "update-finished": (from) => {
    const pair = pairIn("TRANSACTION", { hold: ["update"] });
    pair.send({ keyword: "QUIT" });
    expect(pair.server.state).toBe(from);
    pair.serve(pair.server.completeUpdate({ ok: true }));
    return pair.server.state;
  },
};

const GREETING = "+OK ready <1.2@host>\r\n";

/** A client in `from`, fed by hand-written server bytes (AUTHORIZATION or TRANSACTION). */
function clientIn(from: SessionState): ClientSession {
  const client = new ClientSession({ now: 0 });
  client.receive(latin1(GREETING), 0);
  if (from === "TRANSACTION") {
    client.send({ keyword: "APOP", name: "u", digest: "0".repeat(32) });
    client.receive(latin1("+OK in\r\n"), 0);
  }
  client.takeOutput();
  expect(client.state).toBe(from);
  return client;
}

const quietly = (action: () => unknown): void => {
  try {
    action();
  } catch {
    // The session says why by throwing; the state is what is checked.
  }
};

const CLIENT_CAUSES: { readonly [E in SessionEvent]?: Cause } = {
  timeout: (from) => {
    const client = clientIn(from);
    client.send({ keyword: "CAPA" }, { now: 10 });
    quietly(() => client.handleTimeout(client.nextDeadline() as number));
    return client.state;
  },
  "limit-reached": (from) => {
    const client = clientIn(from);
    client.send({ keyword: "CAPA" });
    quietly(() => client.receive(latin1(`+OK ${"x".repeat(9000)}\r\n`), 0));
    return client.state;
  },
  "handshake-failed": (from) => {
    const client = clientIn(from);
    client.send({ keyword: "STLS" });
    client.receive(latin1("+OK go\r\n"), 0);
    client.completeTls({ ok: false });
    return client.state;
  },
  "peer-closed": (from) => {
    const client = clientIn(from);
    client.receive(new Uint8Array(0), 0);
    return client.state;
  },
  "protocol-violation": (from) => {
    const client = clientIn(from);
    quietly(() => client.receive(latin1("+OK nobody asked\r\n"), 0));
    return client.state;
  },
  "greeting-refused": () => {
    const client = new ClientSession();
    client.receive(latin1("-ERR [SYS/TEMP] busy\r\n"), 0);
    return client.state;
  },
  "final-reply-received": (from) => {
    // From UPDATE: QUIT's +OK in TRANSACTION leads there, and it is the final reply too.
    const client = clientIn(from === "UPDATE" ? "TRANSACTION" : from);
    client.send({ keyword: "QUIT" });
    client.receive(latin1(from === "UPDATE" ? "+OK bye\r\n" : "-ERR some deletes failed\r\n"), 0);
    return client.state;
  },
};

describe("EVENT_TRANSITIONS drives both sessions", () => {
  const walks = entries<SessionEvent>(EVENT_TRANSITIONS).flatMap(([from, event, to]) =>
    EVENT_SOURCES[event].map((side) => [side, from, event, to] as const),
  );

  it.each(walks)("%s: %s --(%s)--> %s", (side, from, event, to) => {
    const cause = (side === "server" ? SERVER_CAUSES : CLIENT_CAUSES)[event];
    expect(cause, `no way to make the ${side} observe ${event}`).toBeDefined();
    expect(cause?.(from)).toBe(to);
  });

  it("names, for every event, at least one session that observes it", () => {
    for (const sources of Object.values(EVENT_SOURCES)) expect(sources.length).toBeGreaterThan(0);
  });
});

describe("no state is assigned outside the tables' path", () => {
  it.each(["server-session.ts", "client-session.ts"])(
    "%s assigns the state only in #enter, which only the tables feed",
    (file) => {
      const source = readFileSync(join(import.meta.dirname, "../src/session", file), "utf8");
      const enter = /\n {2}#enter\([\s\S]*?\n {2}\}\n/.exec(source)?.[0] ?? "";
      expect(enter).not.toBe("");
      const outside = source.replace(enter, "");
      expect(outside).not.toMatch(/#state\s*=[^=]/);
      expect(enter).toMatch(/#state\s*=[^=]/);
      // Every call of #enter passes what a table answered.
      for (const call of outside.matchAll(/#enter\(([^;]*)\);/g)) {
        expect(call[1]).toMatch(/^(nextState|stateAfter)\(|^to\)?$/);
      }
    },
  );
});
