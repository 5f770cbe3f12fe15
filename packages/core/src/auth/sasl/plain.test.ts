import { describe, expect, it } from "vitest";
import { saslContext } from "../../../test/helpers/sasl-context.ts";
import { encodeUtf8 } from "../../bytes/utf8.ts";
import { plainClient, plainServer } from "./plain.ts";

const bytes = (text: string): Uint8Array => encodeUtf8(text);
const serverStep = (message: Uint8Array | string) =>
  plainServer
    .start(saslContext("<1@x>"))
    .step(typeof message === "string" ? bytes(message) : message);

describe("plainServer (RFC 4616)", () => {
  it("accepts RFC 4616's first example after an empty challenge", () => {
    const exchange = plainServer.start(saslContext("<1@x>"));
    expect(exchange.step(null)).toEqual({ type: "challenge", data: new Uint8Array(0) });
    expect(exchange.step(bytes("\u0000tim\u0000tanstaaftanstaaf"))).toEqual({
      type: "success",
      user: "tim",
      proof: { kind: "password", password: "tanstaaftanstaaf" },
    });
  });

  it("refuses RFC 4616's second example: Kurt may not act as Ursel", () => {
    const step = serverStep("Ursel\u0000Kurt\u0000xipj3plmq");
    expect(step.type).toBe("failure");
    if (step.type === "failure") expect(step.reason).toMatch(/proxy/);
  });

  it("accepts an authzid equal to the authcid, and reports it", () => {
    expect(serverStep("Kurt\u0000Kurt\u0000xipj3plmq")).toEqual({
      type: "success",
      user: "Kurt",
      authzid: "Kurt",
      proof: { kind: "password", password: "xipj3plmq" },
    });
  });

  it("takes the message as an initial response", () => {
    expect(serverStep("\u0000tim\u0000pw")).toMatchObject({ type: "success", user: "tim" });
  });

  it("keeps UTF-8 names and passwords, spaces included", () => {
    expect(serverStep("\u0000J\u00fcrgen M\u00fcller\u0000p\u00e4ss w\u00f6rd \u{1f511}")).toEqual({
      type: "success",
      user: "J\u00fcrgen M\u00fcller",
      proof: { kind: "password", password: "p\u00e4ss w\u00f6rd \u{1f511}" },
    });
  });

  it("accepts fields of exactly 255 octets", () => {
    const long = `${"\u00e9".repeat(127)}x`; // 255 octets
    expect(serverStep(`${long}\u0000${long}\u0000${long}`)).toMatchObject({
      type: "success",
      user: long,
    });
  });

  it.each([
    ["an empty message (the session's '=')", "", /NUL/],
    ["garbage without NULs", "tim tanstaaf", /NUL/],
    ["one NUL (two fields)", "tim\u0000tanstaaf", /NUL/],
    ["three NULs (a NUL inside a field)", "\u0000tim\u0000tans\u0000taaf", /more than two NULs/],
    ["four fields", "a\u0000b\u0000c\u0000d", /more than two NULs/],
    ["an empty authcid", "\u0000\u0000secret", /user name is empty/],
    ["an empty password", "\u0000tim\u0000", /password is empty/],
    ["an authcid over 255 octets", `\u0000${"a".repeat(256)}\u0000pw`, /256 octets/],
    ["a password over 255 octets", `\u0000tim\u0000${"a".repeat(256)}`, /256 octets/],
    ["an authzid over 255 octets", `${"a".repeat(256)}\u0000tim\u0000pw`, /256 octets/],
  ])("fails for %s", (_name, message, reason) => {
    const step = serverStep(message);
    expect(step.type).toBe("failure");
    if (step.type === "failure") expect(step.reason).toMatch(reason);
  });

  it.each([
    ["in the authzid", [0xff, 0, 0x61, 0, 0x62]],
    ["in the authcid", [0, 0xc3, 0x28, 0, 0x62]],
    ["in the password (overlong '/')", [0, 0x61, 0, 0xc0, 0xaf]],
    ["in the password (a surrogate)", [0, 0x61, 0, 0xed, 0xa0, 0x80]],
  ])("fails for invalid UTF-8 %s", (_name, message) => {
    const step = serverStep(new Uint8Array(message));
    expect(step).toMatchObject({ type: "failure", reason: expect.stringMatching(/UTF-8/) });
  });

  it("fails when the response to the empty challenge is missing", () => {
    const exchange = plainServer.start(saslContext("<1@x>"));
    exchange.step(null);
    expect(exchange.step(null).type).toBe("failure");
  });
});

describe("plainClient", () => {
  it("writes authzid NUL authcid NUL passwd as the initial response", () => {
    const exchange = plainClient.start({ user: "tim", password: "tanstaaftanstaaf" });
    expect(exchange.initialResponse()).toEqual(bytes("\u0000tim\u0000tanstaaftanstaaf"));
    const withAuthzid = plainClient.start({
      user: "Kurt",
      password: "xipj3plmq",
      authzid: "Ursel",
    });
    expect(withAuthzid.initialResponse()).toEqual(bytes("Ursel\u0000Kurt\u0000xipj3plmq"));
  });

  it("answers an empty challenge with the message, once", () => {
    const exchange = plainClient.start({ user: "tim", password: "pw" });
    expect(exchange.step(new Uint8Array(0))).toEqual({
      type: "response",
      data: bytes("\u0000tim\u0000pw"),
    });
    expect(exchange.step(new Uint8Array(0)).type).toBe("cancel");
  });

  it("cancels a non-empty challenge", () => {
    const exchange = plainClient.start({ user: "tim", password: "pw" });
    expect(exchange.step(bytes("what?")).type).toBe("cancel");
  });

  it.each([
    ["an empty user", { user: "", password: "pw" }],
    ["an empty password", { user: "tim", password: "" }],
    ["a NUL in the user", { user: "t\u0000m", password: "pw" }],
    ["a NUL in the password", { user: "tim", password: "p\u0000w" }],
    ["a NUL in the authzid", { user: "tim", password: "pw", authzid: "a\u0000" }],
    ["a password over 255 octets", { user: "tim", password: "\u00e9".repeat(128) }],
  ])("throws RangeError at start for %s", (_name, credentials) => {
    expect(() => plainClient.start(credentials)).toThrow(RangeError);
  });
});
