// SCRAM-SHA-256(-PLUS) through both drivers over an in-memory link: the session's
// credential-requested step, the login path a wrong SCRAM proof shares with every other wrong
// password, what CAPA offers, and channel binding with a stripped mechanism list.
import { describe, expect, it } from "vitest";
import {
  type Authenticator,
  type ChannelBinding,
  type Credential,
  cramMd5Server,
  MemoryStore,
  Pop3Client,
  Pop3Error,
  plainServer,
  RemoteProtocolError,
  type SaslServerMechanism,
  type ServeEvent,
  serveConnection,
} from "../src/index.ts";
import {
  decodeUtf8,
  encodeUtf8,
  parseScramCredential,
  scramSha256PlusServer,
  scramSha256Server,
} from "../src/internal.ts";
import { realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink } from "./helpers/memory-link.ts";

// `doveadm pw -s SCRAM-SHA-256 -p pencil`
const DOVEADM_PENCIL = parseScramCredential(
  "4096,Fz3ipQMGKAAdVATXWAjoWg==,nSdllkrl+hj5mqrSVI19Zhf/6l/kh5we7M9DPFGkpT8=,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=",
) as Credential;
const accounts: Record<string, Credential> = {
  scram: DOVEADM_PENCIL,
  clear: { kind: "clear", secret: "wonderland" },
  hashed: { kind: "hashed", verify: (password) => password === "hashed-secret" },
};

let seed = 1;
/** Reproducible bytes: the nonces need to differ per exchange, not to be secret. */
const randomBytes = (length: number): Uint8Array =>
  Uint8Array.from({ length }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed & 0xff;
  });

function setup({
  secure = false,
  mechanisms = [scramSha256PlusServer, scramSha256Server, plainServer, cramMd5Server],
  binding = null,
  clearSecrets,
}: {
  secure?: boolean;
  mechanisms?: SaslServerMechanism[];
  binding?: ChannelBinding | null;
  clearSecrets?: boolean;
} = {}) {
  const link = createMemoryLink({ secure });
  const lookups: string[] = [];
  const authenticator: Authenticator = {
    lookup: (user) => {
      lookups.push(user);
      return accounts[user] ?? null;
    },
    ...(clearSecrets === undefined ? {} : { clearSecrets }),
  };
  Object.assign(link.server, { channelBinding: () => binding });
  Object.assign(link.client, { channelBinding: () => binding });
  const events: ServeEvent[] = [];
  const served = serveConnection({
    transport: link.server,
    store: new MemoryStore({ mailboxes: { scram: [], clear: [], hashed: [] } }),
    authenticator,
    clock: realClock,
    randomBytes,
    hostname: "test.invalid",
    policy: { saslMechanisms: mechanisms },
    authFailureDelayMs: 0,
    onEvent: (event) => events.push(event),
  });
  const connect = () =>
    Pop3Client.connect({ transport: link.client, clock: realClock, randomBytes });
  return { link, events, served, lookups, connect };
}

describe("SCRAM-SHA-256 between Pop3Client and serveConnection", () => {
  it("auto login picks SCRAM-SHA-256 in clear for a doveadm-made user; the user is looked up once", async () => {
    const { events, connect, lookups } = setup();
    const client = await connect();
    await client.login({ user: "scram", password: "pencil" });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: "SCRAM-SHA-256" }),
    );
    expect(lookups).toEqual(["scram"]);
    await client.quit();
  });

  it("a wrong SCRAM password, an unknown user and a hashed user fail like any wrong password", async () => {
    for (const [user, password, detail] of [
      ["scram", "pencil!", "wrong password"],
      ["nobody", "pencil", "no such user"],
      ["hashed", "hashed-secret", expect.stringMatching(/hashed secret cannot serve SCRAM/)],
    ] as const) {
      const { events, connect } = setup();
      const client = await connect();
      const error = await client.login({ user, password }).catch((e: unknown) => e);
      expect(Pop3Error.isInstance(error) && error.responseCode).toBe("AUTH");
      expect(events).toContainEqual({
        type: "login-failed",
        user,
        mechanism: "SCRAM-SHA-256",
        reason: "auth",
        detail,
        delayMs: 0,
      });
      await client.quit();
    }
  });

  it("a SCRAM user logs in with PLAIN inside TLS", async () => {
    const { events, connect } = setup({ secure: true, mechanisms: [plainServer] });
    const client = await connect();
    await client.login({ user: "scram", password: "pencil" });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: "PLAIN" }),
    );
    await client.quit();
  });

  it("neither CRAM-MD5 nor the APOP timestamp is offered when the source holds no clear secrets", async () => {
    const without = setup({ clearSecrets: false });
    const client = await without.connect();
    expect(client.greeting.timestamp).toBeNull();
    expect([...((await client.capa())?.get("SASL") ?? [])]).toEqual(["SCRAM-SHA-256"]);
    await client.quit();
    const withClear = setup({ clearSecrets: true });
    const other = await withClear.connect();
    expect(other.greeting.timestamp).not.toBeNull();
    expect((await other.capa())?.get("SASL")).toContain("CRAM-MD5");
    await other.quit();
  });
});

describe("SCRAM-SHA-256-PLUS and channel binding over a transport", () => {
  const binding: ChannelBinding = { type: "tls-exporter", data: new Uint8Array(32).fill(9) };

  it("-PLUS is offered and chosen only where the transport gives binding data", async () => {
    const bound = setup({ secure: true, binding });
    const client = await bound.connect();
    expect((await client.capa())?.get("SASL")).toContain("SCRAM-SHA-256-PLUS");
    await client.login({ user: "scram", password: "pencil" });
    expect(bound.events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: "SCRAM-SHA-256-PLUS" }),
    );
    await client.quit();
    const unbound = setup({ secure: true });
    const other = await unbound.connect();
    expect((await other.capa())?.get("SASL")).not.toContain("SCRAM-SHA-256-PLUS");
    await other.quit();
  });

  it("a stripped mechanism list is caught: the client sends y and the server fails it", async () => {
    const { connect, link } = setup({ secure: true, binding });
    // An attacker in the path removes -PLUS from CAPA; the client then chooses plain SCRAM
    // and, able to bind, says so with the flag y.
    const write = link.server.write.bind(link.server);
    Object.assign(link.server, {
      write: (bytes: Uint8Array) =>
        write(encodeUtf8((decodeUtf8(bytes) ?? "").replace(" SCRAM-SHA-256-PLUS", ""))),
    });
    const client = await connect();
    expect((await client.capa())?.get("SASL")).not.toContain("SCRAM-SHA-256-PLUS");
    const error = await client
      .login({ user: "scram", password: "pencil" })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.serverText).toMatch(
      /e=server-does-support-channel-binding/,
    );
    await client.quit();
  });

  it("auto falls back to PLAIN once after SCRAM's [AUTH], for a user stored as a hash; remembered goes first", async () => {
    const { connect, events } = setup({ secure: true });
    const client = await connect();
    expect(await client.login({ user: "hashed", password: "hashed-secret" })).toBe("plain");
    const tried = events.flatMap((e) =>
      e.type === "login-failed" || e.type === "login-succeeded" ? [[e.type, e.mechanism]] : [],
    );
    expect(tried).toEqual([
      ["login-failed", "SCRAM-SHA-256"],
      ["login-succeeded", "PLAIN"],
    ]);
    await client.quit();
    const again = setup({ secure: true });
    const second = await again.connect();
    expect(
      await second.login({ user: "hashed", password: "hashed-secret", remembered: "plain" }),
    ).toBe("plain");
    expect(again.events.filter((e) => e.type === "login-failed")).toEqual([]);
    await second.quit();
  });

  it("no fallback after a wrong password sent with PLAIN, nor in clear without allowPlaintext", async () => {
    const { connect, events } = setup({ secure: false });
    const client = await connect();
    const error = await client
      .login({ user: "hashed", password: "hashed-secret" })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
    expect(events.filter((e) => e.type === "login-failed")).toHaveLength(1);
    await client.quit();
  });

  it("plain SCRAM chosen although -PLUS is listed binds to nothing (n) and logs in", async () => {
    const { connect, events } = setup({ secure: true, binding });
    const client = await connect();
    expect((await client.capa())?.get("SASL")).toContain("SCRAM-SHA-256-PLUS");
    await client.login({ user: "scram", password: "pencil", method: "scram-sha-256" });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: "SCRAM-SHA-256" }),
    );
    await client.quit();
  });

  it("the client refuses a server that says +OK without proving it knows the password", async () => {
    const fake: SaslServerMechanism = {
      name: "SCRAM-SHA-256",
      sendsPlaintextPassword: false,
      start: () => ({
        step: () => ({
          type: "success",
          user: "clear",
          proof: { kind: "password", password: "wonderland" },
        }),
      }),
    };
    const { connect } = setup({ mechanisms: [fake] });
    const client = await connect();
    const error = await client
      .login({ user: "clear", password: "wonderland" })
      .catch((e: unknown) => e);
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("server-not-verified");
  });
});
