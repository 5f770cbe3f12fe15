import { describe, expect, it } from "vitest";
import { parseCapabilities } from "../grammar/capabilities.ts";
import { chooseLoginMethod, LOGIN_PREFERENCES } from "./choose-login-method.ts";

const caps = (...lines: string[]) => parseCapabilities(lines);

/** [what the server offers, TLS?, allowPlaintext?, the choice] */
const TABLE: readonly [
  string,
  ReturnType<typeof caps> | null,
  boolean,
  boolean,
  boolean,
  string | null,
][] = [
  // name, capabilities, APOP timestamp, secure, allowPlaintext, chosen
  ["everything, in TLS", caps("USER", "SASL PLAIN LOGIN CRAM-MD5"), true, true, false, "plain"],
  ["USER only, in TLS", caps("USER"), false, true, false, "user"],
  ["no CAPA, in TLS", null, false, true, false, "user"],
  ["CRAM-MD5 and APOP, in TLS", caps("SASL CRAM-MD5"), true, true, false, "cram-md5"],
  ["LOGIN only, in TLS", caps("SASL LOGIN"), false, true, false, "login"],
  [
    "everything, in clear",
    caps("USER", "SASL PLAIN LOGIN CRAM-MD5"),
    true,
    false,
    false,
    "cram-md5",
  ],
  // Issue 10, bug 2: the flag permits a password in clear; it never prefers one.
  [
    "everything, in clear, plaintext allowed",
    caps("USER", "SASL PLAIN LOGIN CRAM-MD5"),
    true,
    false,
    true,
    "cram-md5",
  ],
  ["PLAIN and APOP, in clear, plaintext allowed", caps("SASL PLAIN"), true, false, true, "apop"],
  ["USER and APOP, in clear, plaintext allowed", caps("USER"), true, false, true, "apop"],
  ["PLAIN and APOP, in clear", caps("SASL PLAIN"), true, false, false, "apop"],
  ["PLAIN only, in clear", caps("SASL PLAIN", "USER"), false, false, false, null],
  [
    "PLAIN only, in clear, plaintext allowed",
    caps("SASL PLAIN", "USER"),
    false,
    false,
    true,
    "plain",
  ],
  ["LOGIN only, in clear, plaintext allowed", caps("SASL LOGIN"), false, false, true, "login"],
  ["no CAPA, no APOP, in clear", null, false, false, false, null],
  ["no CAPA, no APOP, in clear, plaintext allowed", null, false, false, true, "user"],
  ["no CAPA, APOP, in clear, plaintext allowed", null, true, false, true, "apop"],
];

describe("chooseLoginMethod", () => {
  it.each(TABLE)("%s", (_name, capabilities, apopTimestamp, secure, allowPlaintext, chosen) => {
    expect(
      chooseLoginMethod({ offer: { capabilities, apopTimestamp }, secure, allowPlaintext }),
    ).toBe(chosen);
  });

  it("never sends a password in clear while a method that keeps it home is offered", () => {
    const keepsHome = LOGIN_PREFERENCES.filter((row) => !row.sendsPassword).map((r) => r.method);
    for (const [, capabilities, apopTimestamp] of TABLE) {
      const offer = { capabilities, apopTimestamp };
      const anySafe = LOGIN_PREFERENCES.some((row) => !row.sendsPassword && row.offered(offer));
      const chosen = chooseLoginMethod({ offer, secure: false, allowPlaintext: true });
      if (anySafe) expect(keepsHome).toContain(chosen);
    }
  });
});

describe("chooseLoginMethod with SCRAM (RFC 5802, RFC 7677)", () => {
  const all = caps("USER", "SASL SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5");
  const both = { scram: true, channelBinding: true };
  const offer = { capabilities: all, apopTimestamp: true };

  it.each([
    ["TLS with binding data", all, true, both, false, "scram-sha-256-plus"],
    [
      "TLS without binding data",
      all,
      true,
      { scram: true, channelBinding: false },
      false,
      "scram-sha-256",
    ],
    [
      "TLS, stripped list (no -PLUS)",
      caps("SASL SCRAM-SHA-256 PLAIN"),
      true,
      both,
      false,
      "scram-sha-256",
    ],
    ["TLS, no random source", all, true, { scram: false, channelBinding: true }, false, "plain"],
    ["in clear", all, false, { scram: true, channelBinding: false }, false, "scram-sha-256"],
    [
      "in clear, plaintext allowed",
      all,
      false,
      { scram: true, channelBinding: false },
      true,
      "scram-sha-256",
    ],
    ["in clear, no SCRAM offered", caps("SASL CRAM-MD5 PLAIN"), false, both, false, "cram-md5"],
  ] as const)("%s", (_name, capabilities, secure, client, allowPlaintext, chosen) => {
    expect(
      chooseLoginMethod({
        offer: { capabilities, apopTimestamp: true },
        secure,
        allowPlaintext,
        client,
      }),
    ).toBe(chosen);
  });

  it("never picks SCRAM for a client without a random source", () => {
    expect(chooseLoginMethod({ offer, secure: false, allowPlaintext: false })).toBe("cram-md5");
  });
});

describe("chooseLoginMethod: the remembered method and the one fallback", () => {
  const all = caps("USER", "SASL SCRAM-SHA-256 PLAIN CRAM-MD5");
  const offer = { capabilities: all, apopTimestamp: true };
  const client = { scram: true, channelBinding: false };

  it("goes first with the method that worked last time, while it is offered", () => {
    expect(
      chooseLoginMethod({
        offer,
        secure: true,
        allowPlaintext: false,
        client,
        remembered: "plain",
      }),
    ).toBe("plain");
    expect(
      chooseLoginMethod({
        offer: { capabilities: caps("SASL SCRAM-SHA-256"), apopTimestamp: false },
        secure: true,
        allowPlaintext: false,
        client,
        remembered: "cram-md5",
      }),
    ).toBe("scram-sha-256");
  });

  it("in clear, never lets a remembered password-sending method beat SCRAM", () => {
    expect(
      chooseLoginMethod({
        offer,
        secure: false,
        allowPlaintext: true,
        client,
        remembered: "plain",
      }),
    ).toBe("scram-sha-256");
  });

  it.each([
    ["scram-sha-256", true, false, "plain"],
    ["cram-md5", true, false, "plain"],
    ["apop", true, false, "plain"],
    ["scram-sha-256", false, false, null],
    ["scram-sha-256", false, true, "plain"],
    ["plain", true, false, null],
    ["user", true, false, null],
  ] as const)(
    "after %s got [AUTH] (TLS %s, plaintext %s): %s",
    (failed, secure, allowPlaintext, next) => {
      expect(chooseLoginMethod({ offer, secure, allowPlaintext, client, failed })).toBe(next);
    },
  );

  it("falls back to USER/PASS where PLAIN is not offered", () => {
    expect(
      chooseLoginMethod({
        offer: { capabilities: caps("USER", "SASL SCRAM-SHA-256"), apopTimestamp: false },
        secure: true,
        allowPlaintext: false,
        client,
        failed: "scram-sha-256",
      }),
    ).toBe("user");
  });
});
