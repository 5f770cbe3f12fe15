// OAUTHBEARER (RFC 7628) and XOAUTH2 through both drivers over an in-memory link: the token
// goes to the host's validator with the user named in the exchange, a refusal is RFC 7628's
// JSON status before the -ERR, and neither is offered without a validator or outside TLS.
import { describe, expect, it } from "vitest";
import {
  type Authenticator,
  MemoryStore,
  Pop3Client,
  Pop3Error,
  plainServer,
  type ServeEvent,
  serveConnection,
  type TokenValidator,
} from "../src/index.ts";
import { decodeBase64, decodeUtf8, oauthBearerServer, xoauth2Server } from "../src/internal.ts";
import { realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink } from "./helpers/memory-link.ts";

const randomBytes = (length: number): Uint8Array => new Uint8Array(length).fill(7);

function setup({
  secure = true,
  validator,
  allowPlaintextAuth = false,
}: {
  secure?: boolean;
  validator?: TokenValidator;
  allowPlaintextAuth?: boolean;
}) {
  const link = createMemoryLink({ secure });
  const seen: { user: string; token: string; mechanism: string }[] = [];
  // OAuth users need no stored secret: the source knows nobody.
  const authenticator: Authenticator = { lookup: () => null };
  const events: ServeEvent[] = [];
  const written: string[] = [];
  const write = link.server.write.bind(link.server);
  Object.assign(link.server, {
    write: (bytes: Uint8Array) => {
      written.push(decodeUtf8(bytes) ?? "");
      return write(bytes);
    },
  });
  void serveConnection({
    transport: link.server,
    store: new MemoryStore({ mailboxes: { "alice@example.org": [] } }),
    authenticator,
    ...(validator === undefined
      ? {}
      : {
          tokenValidator: async (options: { user: string; token: string; mechanism: string }) => {
            seen.push(options);
            return validator(options);
          },
        }),
    clock: realClock,
    randomBytes,
    hostname: "test.invalid",
    policy: {
      saslMechanisms: [plainServer, oauthBearerServer, xoauth2Server],
      allowPlaintextAuth,
    },
    authFailureDelayMs: 0,
    onEvent: (event) => events.push(event),
  });
  const connect = () => Pop3Client.connect({ transport: link.client, clock: realClock });
  return { connect, seen, events, written };
}

const accept: TokenValidator = async ({ token }) =>
  token === "good.token"
    ? { ok: true }
    : { ok: false, status: "invalid_token", scope: "mail", reason: "not the good token" };

describe("OAUTHBEARER and XOAUTH2", () => {
  it.each([
    ["oauthbearer", "OAUTHBEARER"],
    ["xoauth2", "XOAUTH2"],
  ] as const)(
    "%s: the validator sees the user and token; a valid token logs in",
    async (method, name) => {
      const { connect, seen, events } = setup({ validator: accept });
      const client = await connect();
      expect((await client.capa())?.get("SASL")).toEqual(["PLAIN", "OAUTHBEARER", "XOAUTH2"]);
      expect(
        await client.login({ user: "alice@example.org", password: "good.token", method }),
      ).toBe(method);
      expect(seen).toEqual([{ user: "alice@example.org", token: "good.token", mechanism: name }]);
      expect(events).toContainEqual(
        expect.objectContaining({ type: "login-succeeded", mechanism: name }),
      );
      // The host hears that a token was checked, never the token.
      expect(JSON.stringify(events)).not.toContain("good.token");
      await client.quit();
    },
  );

  it.each([
    ["oauthbearer", { status: "invalid_token", scope: "mail" }],
    ["xoauth2", { status: "401", schemes: "Bearer", scope: "mail" }],
  ] as const)(
    "%s: a refused token gets the JSON status, then -ERR [AUTH]",
    async (method, status) => {
      const { connect, written } = setup({ validator: accept });
      const client = await connect();
      const error = await client
        .login({ user: "alice@example.org", password: "bad.token", method })
        .catch((e: unknown) => e);
      expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
      const challenge = written.find((line) => line.startsWith("+ "));
      expect(challenge).toBeDefined();
      const json = decodeUtf8(decodeBase64((challenge as string).slice(2).trim()) as Uint8Array);
      expect(JSON.parse(json as string)).toEqual(status);
      await client.quit();
    },
  );

  it("a validator that throws is a refusal, not a login", async () => {
    const { connect } = setup({
      validator: async () => {
        throw new Error("JWKS unreachable");
      },
    });
    const client = await connect();
    const error = await client
      .login({ user: "alice@example.org", password: "good.token", method: "oauthbearer" })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
    await client.quit();
  });

  it("is not offered without a validator, nor in clear unless plaintext is allowed", async () => {
    const none = setup({});
    const a = await none.connect();
    expect((await a.capa())?.get("SASL")).toEqual(["PLAIN"]);
    await a.quit();
    const clear = setup({ secure: false, validator: accept });
    const b = await clear.connect();
    expect((await b.capa())?.get("SASL") ?? []).toEqual([]);
    await b.quit();
    const allowed = setup({ secure: false, validator: accept, allowPlaintextAuth: true });
    const c = await allowed.connect();
    expect((await c.capa())?.get("SASL")).toEqual(["PLAIN", "OAUTHBEARER", "XOAUTH2"]);
    await c.quit();
  });
});
