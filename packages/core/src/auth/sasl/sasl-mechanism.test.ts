import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { saslContext } from "../../../test/helpers/sasl-context.ts";
import { decodeBase64, encodeBase64 } from "../../bytes/base64.ts";
import { encodeUtf8 } from "../../bytes/utf8.ts";
import { verifyProof } from "../verify-proof.ts";
import { cramMd5Client, cramMd5Server } from "./cram-md5.ts";
import { loginClient, loginServer } from "./login.ts";
import { plainClient, plainServer } from "./plain.ts";
import type { SaslClientMechanism, SaslServerMechanism, SaslServerStep } from "./sasl-mechanism.ts";

const CHALLENGE = "<1896.697170952@postoffice.reston.mci.net>";

/**
 * Runs a client exchange against a server exchange the way the two sessions would, with every
 * message through base64 as on the wire (RFC 5034 section 4). `initialResponse: false` plays
 * a client session that keeps the initial response off the AUTH line.
 */
function runExchange({
  client,
  server,
  credentials,
  initialResponse,
}: {
  client: SaslClientMechanism;
  server: SaslServerMechanism;
  credentials: { user: string; password: string; authzid?: string };
  initialResponse: boolean;
}): SaslServerStep | { type: "cancelled"; reason: string } {
  const wire = (bytes: Uint8Array): Uint8Array => decodeBase64(encodeBase64(bytes)) ?? fail();
  const clientExchange = client.start(credentials);
  const serverExchange = server.start(saslContext(CHALLENGE));
  const first = initialResponse ? clientExchange.initialResponse() : null;
  let step = serverExchange.step(first === null ? null : wire(first));
  for (let rounds = 0; step.type === "challenge"; rounds++) {
    if (rounds > 4) throw new Error("the exchange does not end");
    const answer = clientExchange.step(wire(step.data));
    if (answer.type === "cancel") return { type: "cancelled", reason: answer.reason };
    step = serverExchange.step(wire(answer.data));
  }
  return step;
}

function fail(): never {
  throw new Error("base64 round trip failed");
}

const pairs = [
  ["PLAIN", plainClient, plainServer],
  ["LOGIN", loginClient, loginServer],
  ["CRAM-MD5", cramMd5Client, cramMd5Server],
] as const;

describe.each(pairs)("%s client against %s server", (name, client, server) => {
  it("names both sides alike, in upper case", () => {
    expect(client.name).toBe(name);
    expect(server.name).toBe(name);
    expect(client.sendsPlaintextPassword).toBe(server.sendsPlaintextPassword);
  });

  for (const initialResponse of [true, false]) {
    it(`authenticates ${initialResponse ? "with" : "without"} the initial response`, async () => {
      const result = runExchange({
        client,
        server,
        credentials: { user: "tim", password: "tanstaaftanstaaf" },
        initialResponse,
      });
      expect(result).toMatchObject({ type: "success", user: "tim" });
      if (result.type !== "success") return;
      expect(result).not.toHaveProperty("authzid");
      const right = { kind: "clear", secret: "tanstaaftanstaaf" } as const;
      const wrong = { kind: "clear", secret: "tanstaaf" } as const;
      expect(await verifyProof({ proof: result.proof, credential: right })).toBe(true);
      expect(await verifyProof({ proof: result.proof, credential: wrong })).toBe(false);
    });
  }

  it("carries any UTF-8 user name and password that fit in 255 octets", async () => {
    const text = fc
      .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
      .filter((s) => !s.includes("\u0000") && encodeUtf8(s).length <= 255);
    await fc.assert(
      fc.asyncProperty(text, text, fc.boolean(), async (user, password, initialResponse) => {
        const result = runExchange({
          client,
          server,
          credentials: { user, password },
          initialResponse,
        });
        expect(result).toMatchObject({ type: "success", user });
        if (result.type !== "success") return;
        const credential = { kind: "clear", secret: password } as const;
        expect(await verifyProof({ proof: result.proof, credential })).toBe(true);
      }),
      { seed: 4422, numRuns: 100 },
    );
  });

  it("fails every step after the exchange is over", () => {
    const exchange = server.start(saslContext(CHALLENGE));
    let step = exchange.step(null);
    for (let i = 0; i < 4 && step.type === "challenge"; i++)
      step = exchange.step(new Uint8Array(0));
    expect(step.type).toBe("failure");
    expect(exchange.step(new Uint8Array([0x61])).type).toBe("failure");
    expect(exchange.step(null).type).toBe("failure");
  });
});

it("marks PLAIN and LOGIN, and only those, as sending the password", () => {
  expect(plainServer.sendsPlaintextPassword).toBe(true);
  expect(loginServer.sendsPlaintextPassword).toBe(true);
  expect(cramMd5Server.sendsPlaintextPassword).toBe(false);
});
