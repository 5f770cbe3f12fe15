import { describe, expect, it } from "vitest";
import { KEYWORDS } from "../grammar/command.ts";
import { nextState, SESSION_STATES, TRANSITIONS } from "./states.ts";

describe("TRANSITIONS (RFC 1939 section 3)", () => {
  it.each(SESSION_STATES)("lists every keyword, and nothing else, in %s", (state) => {
    expect(Object.keys(TRANSITIONS[state]).sort()).toEqual([...KEYWORDS].sort());
  });

  it("has an entry for every state", () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...SESSION_STATES].sort());
  });

  it("enters TRANSACTION only by a login", () => {
    const into = KEYWORDS.filter((k) => nextState("AUTHORIZATION", k) === "TRANSACTION");
    expect(into.sort()).toEqual(["APOP", "AUTH", "PASS"]);
  });

  it("enters UPDATE only by QUIT from TRANSACTION (RFC 1939 section 6)", () => {
    for (const state of SESSION_STATES) {
      for (const keyword of KEYWORDS) {
        const next = nextState(state, keyword);
        if (next === "UPDATE") expect([state, keyword]).toEqual(["TRANSACTION", "QUIT"]);
      }
    }
    expect(nextState("TRANSACTION", "QUIT")).toBe("UPDATE");
  });

  it("closes without UPDATE on QUIT in AUTHORIZATION (RFC 1939 section 4)", () => {
    expect(nextState("AUTHORIZATION", "QUIT")).toBe("CLOSED");
  });

  it.each(["STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL"] as const)(
    "refuses %s before authentication",
    (keyword) => {
      expect(nextState("AUTHORIZATION", keyword)).toBeNull();
      expect(nextState("TRANSACTION", keyword)).toBe("TRANSACTION");
    },
  );

  it.each(["USER", "PASS", "APOP", "AUTH", "STLS", "UTF8"] as const)(
    "refuses %s after authentication",
    (keyword) => {
      expect(nextState("TRANSACTION", keyword)).toBeNull();
      expect(nextState("AUTHORIZATION", keyword)).not.toBeNull();
    },
  );

  it.each(["CAPA", "LANG"] as const)("allows %s before and after authentication", (keyword) => {
    expect(nextState("AUTHORIZATION", keyword)).toBe("AUTHORIZATION");
    expect(nextState("TRANSACTION", keyword)).toBe("TRANSACTION");
  });

  it("refuses every command in UPDATE and CLOSED", () => {
    for (const state of ["UPDATE", "CLOSED"] as const) {
      for (const keyword of KEYWORDS) expect(nextState(state, keyword)).toBeNull();
    }
  });
});
