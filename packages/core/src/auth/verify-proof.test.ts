import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { apopDigest } from "./apop.ts";
import type { Credential } from "./credential.ts";
import type { LoginProof } from "./sasl/sasl-mechanism.ts";
import { verifyProof } from "./verify-proof.ts";

const TIMESTAMP = "<1896.697170952@dbc.mtview.ca.us>";
const CHALLENGE = "<1896.697170952@postoffice.reston.mci.net>";

const clear = (secret: string): Credential => ({ kind: "clear", secret });
const hashed = (accepts: string): Credential => ({
  kind: "hashed",
  verify: vi.fn((password: string) => password === accepts),
});

describe("verifyProof: password", () => {
  const proof = (password: string): LoginProof => ({ kind: "password", password });

  it("accepts the clear secret exactly", async () => {
    expect(await verifyProof({ proof: proof("tanstaaf"), credential: clear("tanstaaf") })).toBe(
      true,
    );
    expect(await verifyProof({ proof: proof("p\u00e4ss"), credential: clear("p\u00e4ss") })).toBe(
      true,
    );
  });

  it.each([
    ["a different password", "tanstaaX"],
    ["a prefix", "tanstaa"],
    ["a longer password", "tanstaafl"],
    ["an empty password", ""],
    ["a different case", "TANSTAAF"],
    ["the same text with the stored secret repeated", "tanstaaftanstaaf"],
  ])("refuses %s", async (_name, password) => {
    expect(await verifyProof({ proof: proof(password), credential: clear("tanstaaf") })).toBe(
      false,
    );
  });

  it("never matches an empty clear secret, not even with an empty password", async () => {
    expect(await verifyProof({ proof: proof("x"), credential: clear("") })).toBe(false);
    expect(await verifyProof({ proof: proof(""), credential: clear("") })).toBe(false);
  });

  it("compares UTF-8 passwords SASLprepped (RFC 6856 section 2.2, RFC 4616 section 2)", async () => {
    // U+00E9 and e + U+0301 are one password after NFKC; so are U+FB01 and "fi".
    expect(await verifyProof({ proof: proof("\u00e9"), credential: clear("e\u0301") })).toBe(true);
    expect(await verifyProof({ proof: proof("\ufb01x"), credential: clear("fix") })).toBe(true);
    expect(await verifyProof({ proof: proof("\u00e9"), credential: clear("e") })).toBe(false);
  });

  it("keeps ASCII passwords as sent, TAB included", async () => {
    expect(await verifyProof({ proof: proof("a\tb"), credential: clear("a\tb") })).toBe(true);
    expect(await verifyProof({ proof: proof("a b"), credential: clear("a\tb") })).toBe(false);
  });

  it("asks a hashed credential, sync or async, and accepts only `true`", async () => {
    const credential = hashed("secret");
    expect(await verifyProof({ proof: proof("secret"), credential })).toBe(true);
    expect(await verifyProof({ proof: proof("wrong"), credential })).toBe(false);
    const asyncCredential: Credential = { kind: "hashed", verify: async (p) => p === "secret" };
    expect(await verifyProof({ proof: proof("secret"), credential: asyncCredential })).toBe(true);
    const truthy = { kind: "hashed", verify: () => 1 as unknown as boolean } as const;
    expect(await verifyProof({ proof: proof("secret"), credential: truthy })).toBe(false);
  });

  it("refuses an unknown user", async () => {
    expect(await verifyProof({ proof: proof("anything"), credential: null })).toBe(false);
    expect(await verifyProof({ proof: proof(""), credential: null })).toBe(false);
  });

  it("lets an exception from verify propagate: a host failure is not a wrong password", async () => {
    const broken: Credential = {
      kind: "hashed",
      verify: () => {
        throw new Error("database down");
      },
    };
    await expect(verifyProof({ proof: proof("x"), credential: broken })).rejects.toThrow(
      "database down",
    );
  });
});

describe("verifyProof: apop", () => {
  const proof = (digest: string): LoginProof => ({ kind: "apop", timestamp: TIMESTAMP, digest });
  const right = "c4c9334bac560ecc979e58001b3e22fb";

  it("accepts RFC 1939's digest, in either case", async () => {
    expect(await verifyProof({ proof: proof(right), credential: clear("tanstaaf") })).toBe(true);
    expect(
      await verifyProof({ proof: proof(right.toUpperCase()), credential: clear("tanstaaf") }),
    ).toBe(true);
  });

  it("refuses a wrong digest, a wrong secret, a malformed digest", async () => {
    expect(
      await verifyProof({ proof: proof(right.replace("c", "d")), credential: clear("tanstaaf") }),
    ).toBe(false);
    expect(await verifyProof({ proof: proof(right), credential: clear("tanstaa") })).toBe(false);
    expect(await verifyProof({ proof: proof(right.slice(1)), credential: clear("tanstaaf") })).toBe(
      false,
    );
  });

  it("refuses an empty clear secret, whose digest anyone could compute", async () => {
    const digest = apopDigest({ timestamp: TIMESTAMP, secret: "" });
    expect(await verifyProof({ proof: proof(digest), credential: clear("") })).toBe(false);
  });

  it("refuses a hashed credential without asking it, even for the digest of the password", async () => {
    const credential = hashed("tanstaaf");
    expect(await verifyProof({ proof: proof(right), credential })).toBe(false);
    if (credential.kind === "hashed") expect(credential.verify).not.toHaveBeenCalled();
  });

  it("refuses an unknown user, even a digest made with the dummy secret's candidates", async () => {
    expect(await verifyProof({ proof: proof(right), credential: null })).toBe(false);
    // Whatever the dummy secret is, no digest passes without a clear credential.
    for (const guess of ["", "apop-no-such-secret-0123456789abcdef", "dummy"]) {
      const digest = apopDigest({ timestamp: TIMESTAMP, secret: guess });
      expect(await verifyProof({ proof: proof(digest), credential: null })).toBe(false);
      expect(await verifyProof({ proof: proof(digest), credential: hashed(guess) })).toBe(false);
    }
  });
});

describe("verifyProof: cram-md5", () => {
  const proof = (digest: string, challenge = CHALLENGE): LoginProof => ({
    kind: "cram-md5",
    challenge,
    digest,
  });
  const right = "b913a602c7eda7a495b4e6e7334d3890";

  it("accepts RFC 2195's digest", async () => {
    expect(await verifyProof({ proof: proof(right), credential: clear("tanstaaftanstaaf") })).toBe(
      true,
    );
  });

  it("matches node:crypto's HMAC-MD5 for a UTF-8 secret", async () => {
    const secret = "s\u00e9cr\u00e8t";
    const digest = createHmac("md5", Buffer.from(secret, "utf8")).update(CHALLENGE).digest("hex");
    expect(await verifyProof({ proof: proof(digest), credential: clear(secret) })).toBe(true);
  });

  it("refuses a digest for another challenge, a wrong secret, a hashed or missing credential", async () => {
    const credential = clear("tanstaaftanstaaf");
    expect(await verifyProof({ proof: proof(right, "<other@host>"), credential })).toBe(false);
    expect(await verifyProof({ proof: proof(right), credential: clear("tanstaaf") })).toBe(false);
    const stored = hashed("tanstaaftanstaaf");
    expect(await verifyProof({ proof: proof(right), credential: stored })).toBe(false);
    if (stored.kind === "hashed") expect(stored.verify).not.toHaveBeenCalled();
    expect(await verifyProof({ proof: proof(right), credential: null })).toBe(false);
  });
});
