import { describe, expect, it } from "vitest";
import { decodeBase64, encodeBase64 } from "../../bytes/base64.ts";
import { decodeUtf8, encodeUtf8 } from "../../bytes/utf8.ts";
import type { Credential } from "../credential.ts";
import type { ChannelBinding } from "../sasl/channel-binding.ts";
import type {
  SaslClientMechanism,
  SaslServerMechanism,
  SaslServerStep,
} from "../sasl/sasl-mechanism.ts";
import { verifyProof } from "../verify-proof.ts";
import { scramSha256Client, scramSha256PlusClient } from "./scram-client.ts";
import {
  createScramCredential,
  formatScramCredential,
  parseScramCredential,
} from "./scram-credential.ts";
import { clientKeyOf, hmacSha256, saltPassword, scramKeysOf, xorBytes } from "./scram-keys.ts";
import { scramProofHolds, scramSha256PlusServer, scramSha256Server } from "./scram-server.ts";

const b64 = (text: string): Uint8Array => decodeBase64(text) ?? new Uint8Array(0);
let counter = 0;
/** Deterministic "random" bytes: tests need reproducible nonces, not secret ones. */
const randomBytes = (length: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (i * 31 + counter++) & 0xff);
const SECRET = encodeUtf8("a server-wide secret for derived salts");

// `doveadm pw -s SCRAM-SHA-256 -p pencil` and `-p 'pässwörd-Ünïcödé'` (Dovecot 2.3.19).
const DOVEADM_PENCIL =
  "4096,Fz3ipQMGKAAdVATXWAjoWg==,nSdllkrl+hj5mqrSVI19Zhf/6l/kh5we7M9DPFGkpT8=,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=";
const DOVEADM_UNICODE =
  "4096,CyvKteHk+8J+0DwPVyYbKg==,rVO1y7q5rEEWN4qC6BE9lA4dveDCTMrLDxTqKwoxBd8=,qHZvAZCTr9S32ppkz8Q8fosWacUNNIfDjzuAqbgRe9I=";

interface Run {
  /** What the server said last. */
  readonly end: SaslServerStep | { type: "cancelled"; reason: string };
  /** The server's messages, as text. */
  readonly server: string[];
  /** Whether the client checked the server's signature. */
  readonly verified: boolean;
}

/** Runs a client exchange against a server exchange the way the two sessions do. */
function run({
  client = scramSha256Client,
  server = scramSha256Server,
  user = "user",
  password = "pencil",
  credential,
  clientBinding = null,
  serverBinding = null,
  tamper,
}: {
  client?: SaslClientMechanism;
  server?: SaslServerMechanism;
  user?: string;
  password?: string;
  credential: Credential | null;
  clientBinding?: ChannelBinding | null;
  serverBinding?: ChannelBinding | null;
  tamper?: (message: string, index: number) => string;
}): Run {
  const exchange = client.start({ user, password, randomBytes, channelBinding: clientBinding });
  const serverExchange = server.start({
    challenge: "<1.2@host>",
    randomBytes,
    secret: SECRET,
    channelBinding: serverBinding,
  });
  const said: string[] = [];
  let step = serverExchange.step(exchange.initialResponse());
  for (let round = 0; round < 5; round++) {
    if (step.type === "credential-needed") {
      step = serverExchange.credential?.(credential) ?? step;
      continue;
    }
    if (step.type !== "challenge") break;
    let text = decodeUtf8(step.data) ?? "";
    if (tamper !== undefined) text = tamper(text, said.length);
    said.push(text);
    const answer = exchange.step(encodeUtf8(text));
    if (answer.type === "cancel") {
      return { end: { type: "cancelled", reason: answer.reason }, server: said, verified: false };
    }
    step = serverExchange.step(answer.data);
  }
  const verified = (exchange as unknown as { serverVerified(): boolean }).serverVerified();
  return { end: step, server: said, verified };
}

async function loginHolds(end: Run["end"], credential: Credential | null): Promise<boolean> {
  if (end.type !== "success") return false;
  return verifyProof({ proof: end.proof, credential });
}

describe("RFC 7677 section 3 test vector (user, pencil)", () => {
  const salt = b64("W22ZaJ0SNY7soEsUEjb6gQ==");
  const bare = "n=user,r=rOprNGfwEbeRWgbNEkqO";
  const serverFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
  const withoutProof = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const authMessage = encodeUtf8(`${bare},${serverFirst},${withoutProof}`);
  const salted = saltPassword({ password: "pencil", salt, iterations: 4096 });
  const keys = scramKeysOf(salted);

  it("derives the client's proof", () => {
    const proof = xorBytes(
      clientKeyOf(salted),
      hmacSha256({ key: keys.storedKey, data: authMessage }),
    );
    expect(encodeBase64(proof)).toBe("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  });

  it("derives the server's signature", () => {
    const signature = hmacSha256({ key: keys.serverKey, data: authMessage });
    expect(encodeBase64(signature)).toBe("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  });

  it("checks the RFC's proof against StoredKey, and refuses a changed one", () => {
    const clientProof = b64("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    expect(scramProofHolds({ storedKey: keys.storedKey, authMessage, clientProof })).toBe(true);
    clientProof[0] = (clientProof[0] as number) ^ 1;
    expect(scramProofHolds({ storedKey: keys.storedKey, authMessage, clientProof })).toBe(false);
  });
});

describe("Dovecot's {SCRAM-SHA-256} passwd-file scheme", () => {
  it("reads a doveadm line and writes it back unchanged", () => {
    const credential = parseScramCredential(DOVEADM_PENCIL);
    expect(credential?.iterations).toBe(4096);
    expect(credential && formatScramCredential(credential)).toBe(DOVEADM_PENCIL);
  });

  it("refuses malformed lines", () => {
    for (const bad of [
      "",
      "4096,salt",
      "4095,Fz3ipQMGKAAdVATXWAjoWg==,nSdllkrl+hj5mqrSVI19Zhf/6l/kh5we7M9DPFGkpT8=,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=",
      "4096,,nSdllkrl+hj5mqrSVI19Zhf/6l/kh5we7M9DPFGkpT8=,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=",
      "4096,Fz3ipQMGKAAdVATXWAjoWg==,AAAA,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=",
      "x,Fz3ipQMGKAAdVATXWAjoWg==,nSdllkrl+hj5mqrSVI19Zhf/6l/kh5we7M9DPFGkpT8=,NmWxYvXWxlrhNtkJ5oIQaFOzC9fDJrDcuppolxjdqf8=",
    ]) {
      expect(parseScramCredential(bad), bad).toBeNull();
    }
  });

  it("derives the same keys as doveadm from the same salt", () => {
    const stored = parseScramCredential(DOVEADM_UNICODE);
    if (stored === null) throw new Error("unparsed");
    const made = createScramCredential({ password: "pässwörd-Ünïcödé", salt: stored.salt });
    expect(formatScramCredential(made)).toBe(DOVEADM_UNICODE);
  });

  it("a doveadm user logs in with SCRAM, ASCII and non-ASCII passwords alike", async () => {
    for (const [line, password] of [
      [DOVEADM_PENCIL, "pencil"],
      [DOVEADM_UNICODE, "pässwörd-Ünïcödé"],
    ] as const) {
      const credential = parseScramCredential(line);
      const result = run({ credential, password });
      expect(result.verified).toBe(true);
      expect(await loginHolds(result.end, credential)).toBe(true);
    }
  });

  it("a doveadm user also logs in with a password (PLAIN, USER/PASS), never with a wrong one", async () => {
    const credential = parseScramCredential(DOVEADM_PENCIL);
    const check = (password: string) =>
      verifyProof({ proof: { kind: "password", password }, credential });
    expect(await check("pencil")).toBe(true);
    expect(await check("pencil ")).toBe(false);
  });

  it("a SCRAM user can never log in with APOP or CRAM-MD5 (no clear secret)", async () => {
    const credential = parseScramCredential(DOVEADM_PENCIL);
    const apop = { kind: "apop", timestamp: "<1@h>", digest: "0".repeat(32) } as const;
    expect(await verifyProof({ proof: apop, credential })).toBe(false);
  });
});

describe("SCRAM-SHA-256 exchanges, client against server", () => {
  it("logs in with a clear secret; the client checks the server's signature", async () => {
    const credential = { kind: "clear", secret: "pencil" } as const;
    const result = run({ credential });
    expect(result.server[1]).toMatch(/^v=/);
    expect(result.verified).toBe(true);
    expect(await loginHolds(result.end, credential)).toBe(true);
  });

  it("a wrong password gets no server signature and fails in verifyProof", async () => {
    const credential = { kind: "clear", secret: "pencil" } as const;
    const result = run({ credential, password: "pen" });
    expect(result.server).toHaveLength(1);
    expect(result.end.type).toBe("success");
    expect(await loginHolds(result.end, credential)).toBe(false);
  });

  it("an unknown user, a hashed user and a clear user see the same salt and count, every time", () => {
    const firstOf = (credential: Credential | null) =>
      (run({ credential, password: "x" }).server[0] ?? "").replace(/^r=[^,]*,/, "");
    const unknown = firstOf(null);
    expect(firstOf(null)).toBe(unknown);
    expect(firstOf({ kind: "hashed", verify: () => true })).toBe(unknown);
    expect(firstOf({ kind: "clear", secret: "x" })).toBe(unknown);
    expect(unknown).toMatch(/^s=[A-Za-z0-9+/=]+,i=4096$/);
  });

  it("a user whose stored hash cannot serve SCRAM fails exactly like a wrong password", async () => {
    const credential = { kind: "hashed", verify: () => true } as const;
    const result = run({ credential });
    expect(result.end.type).toBe("success");
    expect(await loginHolds(result.end, credential)).toBe(false);
    expect(await loginHolds(run({ credential: null }).end, null)).toBe(false);
  });

  it("SASLprep makes a no-break space and a soft hyphen match their plain forms", async () => {
    const credential = { kind: "clear", secret: "pen cil" } as const;
    expect(
      await loginHolds(run({ credential, password: "pen\u00a0ci\u00adl" }).end, credential),
    ).toBe(true);
  });

  it("escapes , and = in user names (RFC 5802 section 5.1)", () => {
    const result = run({ credential: null, user: "a,b=c" });
    expect(result.end.type).toBe("success");
    expect(result.end.type === "success" && result.end.user).toBe("a,b=c");
  });

  it("the client refuses a wrong server signature", () => {
    const result = run({
      credential: { kind: "clear", secret: "pencil" },
      tamper: (text, index) => (index === 1 ? "v=AAAA" : text),
    });
    expect(result.end).toMatchObject({
      type: "cancelled",
      reason: expect.stringMatching(/signature/),
    });
  });

  it("the client refuses an iteration count below 4096 and a nonce that does not extend its own", () => {
    const low = run({
      credential: null,
      tamper: (text, index) => (index === 0 ? text.replace(/i=4096$/, "i=1") : text),
    });
    expect(low.end).toMatchObject({
      type: "cancelled",
      reason: expect.stringMatching(/iteration/),
    });
    const nonce = run({
      credential: null,
      tamper: (text, index) => (index === 0 ? text.replace(/^r=./, "r=!") : text),
    });
    expect(nonce.end).toMatchObject({ type: "cancelled", reason: expect.stringMatching(/nonce/) });
  });

  it("the server refuses a replayed nonce, a mandatory extension and a bad escape", () => {
    const server = scramSha256Server.start({
      challenge: "<1@h>",
      randomBytes,
      secret: SECRET,
      channelBinding: null,
    });
    expect(server.step(encodeUtf8("n,,m=x,n=user,r=abc")).type).toBe("failure");
    const other = scramSha256Server.start({
      challenge: "<1@h>",
      randomBytes,
      secret: SECRET,
      channelBinding: null,
    });
    expect(other.step(encodeUtf8("n,,n=a=2Xb,r=abc"))).toMatchObject({ type: "failure" });
    const third = scramSha256Server.start({
      challenge: "<1@h>",
      randomBytes,
      secret: SECRET,
      channelBinding: null,
    });
    expect(third.step(encodeUtf8("n,,n=user,r=abc"))).toMatchObject({
      type: "credential-needed",
      user: "user",
    });
    third.credential?.(null);
    expect(
      third.step(encodeUtf8(`c=biws,r=abcdef,p=${encodeBase64(new Uint8Array(32))}`)),
    ).toMatchObject({
      type: "failure",
      reason: expect.stringMatching(/nonce/),
    });
  });
});

describe("channel binding (RFC 5802 sections 6 and 7)", () => {
  const binding: ChannelBinding = { type: "tls-exporter", data: new Uint8Array(32).fill(7) };
  const credential = { kind: "clear", secret: "pencil" } as const;

  it("-PLUS logs in when both ends see the same channel", async () => {
    const result = run({
      client: scramSha256PlusClient,
      server: scramSha256PlusServer,
      credential,
      clientBinding: binding,
      serverBinding: binding,
    });
    expect(result.verified).toBe(true);
    expect(await loginHolds(result.end, credential)).toBe(true);
  });

  it("-PLUS fails when the channels differ (a man in the middle)", () => {
    const result = run({
      client: scramSha256PlusClient,
      server: scramSha256PlusServer,
      credential,
      clientBinding: binding,
      serverBinding: { type: "tls-exporter", data: new Uint8Array(32).fill(8) },
    });
    expect(result.end).toMatchObject({
      type: "failure",
      reason: expect.stringMatching(/channel binding/),
    });
  });

  it("-PLUS fails for a binding type the server does not have", () => {
    const result = run({
      client: scramSha256PlusClient,
      server: scramSha256PlusServer,
      credential,
      clientBinding: { type: "tls-server-end-point", data: binding.data },
      serverBinding: binding,
    });
    expect(result.end).toMatchObject({
      type: "failure",
      reason: "e=unsupported-channel-binding-type",
    });
  });

  it("a client that could bind sends y; a server offering -PLUS fails it (stripped mechanism list)", () => {
    const result = run({ credential, clientBinding: binding, serverBinding: binding });
    expect(result.end).toMatchObject({
      type: "failure",
      reason: "e=server-does-support-channel-binding",
    });
  });

  it("y is fine where the server offers no -PLUS, and n is fine anywhere plain SCRAM runs", async () => {
    const y = run({ credential, clientBinding: binding, serverBinding: null });
    expect(await loginHolds(y.end, credential)).toBe(true);
    const n = run({ credential, clientBinding: null, serverBinding: binding });
    expect(await loginHolds(n.end, credential)).toBe(true);
  });

  it("-PLUS refuses a client that does not bind, and the client refuses -PLUS without data", () => {
    const server = scramSha256PlusServer.start({
      challenge: "<1@h>",
      randomBytes,
      secret: SECRET,
      channelBinding: binding,
    });
    expect(server.step(encodeUtf8("n,,n=user,r=abc")).type).toBe("failure");
    expect(() =>
      scramSha256PlusClient.start({ user: "u", password: "p", randomBytes, channelBinding: null }),
    ).toThrow(RangeError);
  });
});
