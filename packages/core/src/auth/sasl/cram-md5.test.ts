import { describe, expect, it } from "vitest";
import { saslContext } from "../../../test/helpers/sasl-context.ts";
import { decodeBase64 } from "../../bytes/base64.ts";
import { decodeUtf8, encodeUtf8 } from "../../bytes/utf8.ts";
import { verifyProof } from "../verify-proof.ts";
import { cramMd5Client, cramMd5Server } from "./cram-md5.ts";

const bytes = (text: string): Uint8Array => encodeUtf8(text);
// RFC 2195 section 2's example.
const CHALLENGE = "<1896.697170952@postoffice.reston.mci.net>";
const RESPONSE = "tim b913a602c7eda7a495b4e6e7334d3890";
const SECRET = "tanstaaftanstaaf";

describe("cramMd5Server (RFC 2195)", () => {
  it("replays RFC 2195's example", async () => {
    const exchange = cramMd5Server.start(saslContext(CHALLENGE));
    const challenge = exchange.step(null);
    // The RFC shows the challenge base64-encoded on the wire.
    const onWire = decodeBase64("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
    expect(challenge).toEqual({ type: "challenge", data: onWire });
    // ... and the response as dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw.
    const response = decodeBase64("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    expect(response && decodeUtf8(response)).toBe(RESPONSE);
    const result = exchange.step(response);
    expect(result).toEqual({
      type: "success",
      user: "tim",
      proof: { kind: "cram-md5", challenge: CHALLENGE, digest: "b913a602c7eda7a495b4e6e7334d3890" },
    });
    if (result.type !== "success") return;
    expect(
      await verifyProof({ proof: result.proof, credential: { kind: "clear", secret: SECRET } }),
    ).toBe(true);
  });

  it("reads an empty initial response as none, and sends the challenge", () => {
    const exchange = cramMd5Server.start(saslContext(CHALLENGE));
    expect(exchange.step(new Uint8Array(0))).toEqual({ type: "challenge", data: bytes(CHALLENGE) });
    expect(exchange.step(bytes(RESPONSE))).toMatchObject({ type: "success", user: "tim" });
  });

  it("fails a non-empty initial response: CRAM-MD5 is server-first", () => {
    const exchange = cramMd5Server.start(saslContext(CHALLENGE));
    expect(exchange.step(bytes(RESPONSE))).toMatchObject({
      type: "failure",
      reason: expect.stringMatching(/server-first/),
    });
  });

  it("splits at the last space, so user names may hold spaces; folds the digest to lower case", () => {
    const exchange = cramMd5Server.start(saslContext(CHALLENGE));
    exchange.step(null);
    expect(exchange.step(bytes("tim smith B913A602C7EDA7A495B4E6E7334D3890"))).toMatchObject({
      type: "success",
      user: "tim smith",
      proof: { digest: "b913a602c7eda7a495b4e6e7334d3890" },
    });
  });

  it.each([
    ["garbage", bytes("garbage")],
    ["an empty response", new Uint8Array(0)],
    ["no user name", bytes(" b913a602c7eda7a495b4e6e7334d3890")],
    ["no digest", bytes("tim ")],
    ["a short digest", bytes("tim b913a602c7eda7a495b4e6e7334d389")],
    ["a long digest", bytes("tim b913a602c7eda7a495b4e6e7334d38900")],
    ["a non-hex digest", bytes("tim g913a602c7eda7a495b4e6e7334d3890")],
    ["a trailing space", bytes(`${RESPONSE} `)],
    ["a NUL in the user name", bytes("t\u0000m b913a602c7eda7a495b4e6e7334d3890")],
    [
      "invalid UTF-8 in the user name",
      new Uint8Array([0xff, ...bytes(" b913a602c7eda7a495b4e6e7334d3890")]),
    ],
    ["invalid UTF-8 in the digest", new Uint8Array([...bytes("tim "), 0xc0, 0xaf])],
    ["a user name over 255 octets", bytes(`${"u".repeat(256)} b913a602c7eda7a495b4e6e7334d3890`)],
  ])("fails %s", (_name, response) => {
    const exchange = cramMd5Server.start(saslContext(CHALLENGE));
    exchange.step(null);
    expect(exchange.step(response).type).toBe("failure");
  });

  it("fails a missing response to the challenge", () => {
    const exchange = cramMd5Server.start(saslContext(CHALLENGE));
    exchange.step(null);
    expect(exchange.step(null).type).toBe("failure");
  });

  it("refuses to start without a challenge", () => {
    expect(() => cramMd5Server.start(saslContext(""))).toThrow(RangeError);
  });
});

describe("cramMd5Client", () => {
  it("answers RFC 2195's challenge with RFC 2195's response", () => {
    const exchange = cramMd5Client.start({ user: "tim", password: SECRET });
    expect(exchange.initialResponse()).toBeNull();
    expect(exchange.step(bytes(CHALLENGE))).toEqual({ type: "response", data: bytes(RESPONSE) });
  });

  it("cancels an empty challenge and a second challenge", () => {
    expect(
      cramMd5Client.start({ user: "tim", password: SECRET }).step(new Uint8Array(0)).type,
    ).toBe("cancel");
    const exchange = cramMd5Client.start({ user: "tim", password: SECRET });
    exchange.step(bytes(CHALLENGE));
    expect(exchange.step(bytes(CHALLENGE)).type).toBe("cancel");
  });

  it("throws RangeError at start for an unusable user name", () => {
    expect(() => cramMd5Client.start({ user: "", password: SECRET })).toThrow(RangeError);
    expect(() => cramMd5Client.start({ user: "t\u0000m", password: SECRET })).toThrow(RangeError);
  });
});
