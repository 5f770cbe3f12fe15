import { describe, expect, it } from "vitest";
import { saslContext } from "../../../test/helpers/sasl-context.ts";
import { decodeUtf8, encodeUtf8 } from "../../bytes/utf8.ts";
import { loginClient, loginServer } from "./login.ts";

const bytes = (text: string): Uint8Array => encodeUtf8(text);
const start = () => loginServer.start(saslContext("<1@x>"));

describe("loginServer", () => {
  it("prompts Username: then Password:, and succeeds with a password proof", () => {
    const exchange = start();
    const first = exchange.step(null);
    expect(first.type === "challenge" && decodeUtf8(first.data)).toBe("Username:");
    const second = exchange.step(bytes("tim"));
    expect(second.type === "challenge" && decodeUtf8(second.data)).toBe("Password:");
    expect(exchange.step(bytes("tanstaaf"))).toEqual({
      type: "success",
      user: "tim",
      proof: { kind: "password", password: "tanstaaf" },
    });
  });

  it("takes an initial response as the user name and asks for the password", () => {
    const exchange = start();
    const first = exchange.step(bytes("tim"));
    expect(first.type === "challenge" && decodeUtf8(first.data)).toBe("Password:");
    expect(exchange.step(bytes("pw"))).toMatchObject({ type: "success", user: "tim" });
  });

  it("fails an empty initial response (the session's '='): an empty user name", () => {
    expect(start().step(new Uint8Array(0))).toMatchObject({
      type: "failure",
      reason: expect.stringMatching(/user name is empty/),
    });
  });

  it.each([
    ["an empty user name", new Uint8Array(0)],
    ["invalid UTF-8", new Uint8Array([0x74, 0xff])],
    ["a NUL", bytes("t\u0000m")],
    ["over 255 octets", bytes("u".repeat(256))],
  ])("fails a user name with %s", (_name, user) => {
    const exchange = start();
    exchange.step(null);
    expect(exchange.step(user).type).toBe("failure");
    expect(exchange.step(bytes("pw")).type).toBe("failure");
  });

  it.each([
    ["an empty password", new Uint8Array(0)],
    ["invalid UTF-8", new Uint8Array([0xe2, 0x82])],
    ["a NUL", bytes("p\u0000w")],
    ["over 255 octets", bytes("p".repeat(256))],
  ])("fails a password with %s", (_name, password) => {
    const exchange = start();
    exchange.step(bytes("tim"));
    expect(exchange.step(password).type).toBe("failure");
  });

  it("fails a missing response at either prompt", () => {
    const atUser = start();
    atUser.step(null);
    expect(atUser.step(null).type).toBe("failure");
    const atPassword = start();
    atPassword.step(bytes("tim"));
    expect(atPassword.step(null).type).toBe("failure");
  });
});

describe("loginClient", () => {
  it("sends no initial response, then the user name and the password, whatever the prompts", () => {
    const exchange = loginClient.start({ user: "tim", password: "pw" });
    expect(exchange.initialResponse()).toBeNull();
    expect(exchange.step(bytes("User Name\u0000"))).toEqual({
      type: "response",
      data: bytes("tim"),
    });
    expect(exchange.step(bytes("Password"))).toEqual({ type: "response", data: bytes("pw") });
    expect(exchange.step(bytes("Password:")).type).toBe("cancel");
  });

  it.each([
    ["an empty user", { user: "", password: "pw" }],
    ["an empty password", { user: "tim", password: "" }],
    ["a NUL in the user", { user: "t\u0000m", password: "pw" }],
    ["a user over 255 octets", { user: "u".repeat(256), password: "pw" }],
  ])("throws RangeError at start for %s", (_name, credentials) => {
    expect(() => loginClient.start(credentials)).toThrow(RangeError);
  });
});
