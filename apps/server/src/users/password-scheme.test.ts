import { randomBytes } from "node:crypto";
import { verifyProof } from "@apop/core";
import { describe, expect, it } from "vitest";
import { formatStoredPassword, parseStoredPassword, WRITABLE_SCHEMES } from "./password-scheme.ts";

/** Computed with Python's hashlib, independently of this code: password "demo", salt 01 02 03 04. */
const DEMO_SSHA512 =
  "{SSHA512}MyFJerblHfcoFykoynFZ16hVtMsoC7Y+jd4amjIXW24QRccSg/VZ4Pkm26z3KaSheBffYAY0REu+lfnqTsMjFAECAwQ=";

const credentialOf = (field: string) => {
  const parsed = parseStoredPassword(field);
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed.credential;
};

describe("parseStoredPassword", () => {
  it("checks a Dovecot {SSHA512} value made elsewhere", async () => {
    const credential = credentialOf(DEMO_SSHA512);
    expect(credential.kind).toBe("hashed");
    expect(await verifyProof({ proof: { kind: "password", password: "demo" }, credential })).toBe(
      true,
    );
    expect(await verifyProof({ proof: { kind: "password", password: "Demo" }, credential })).toBe(
      false,
    );
  });

  it("reads scheme names in any case, as Dovecot does", () => {
    expect(parseStoredPassword(DEMO_SSHA512.replace("SSHA512", "ssha512"))).toMatchObject({
      scheme: "SSHA512",
    });
    expect(parseStoredPassword("{Plain}x")).toMatchObject({ scheme: "PLAIN" });
  });

  it("makes APOP fail for a hashed secret, as for a wrong one (RFC 1939 section 7)", async () => {
    const timestamp = "<1896.697170952@dbc.mtview.ca.us>";
    // RFC 1939's example: the digest of the timestamp and "tanstaaf".
    const proof = { kind: "apop" as const, timestamp, digest: "c4c9334bac560ecc979e58001b3e22fb" };
    expect(await verifyProof({ proof, credential: credentialOf("{PLAIN}tanstaaf") })).toBe(true);
    const hashed = formatStoredPassword({ scheme: "SSHA512", password: "tanstaaf", randomBytes });
    expect(await verifyProof({ proof, credential: credentialOf(hashed) })).toBe(false);
  });

  it.each(WRITABLE_SCHEMES)("round-trips a new {%s} password", async (scheme) => {
    const field = formatStoredPassword({ scheme, password: "pässwörd 🎉", randomBytes });
    expect(field.startsWith(`{${scheme}}`)).toBe(true);
    const credential = credentialOf(field);
    const check = (password: string) =>
      verifyProof({ proof: { kind: "password", password }, credential });
    expect(await check("pässwörd 🎉")).toBe(true);
    expect(await check("pässwörd")).toBe(false);
  });

  it("salts every hash afresh", () => {
    const a = formatStoredPassword({ scheme: "SSHA512", password: "x", randomBytes });
    const b = formatStoredPassword({ scheme: "SSHA512", password: "x", randomBytes });
    expect(a).not.toBe(b);
  });

  it("explains what it cannot read", () => {
    expect(parseStoredPassword("secret")).toEqual({
      error: expect.stringMatching(/no \{SCHEME\} prefix/),
    });
    expect(parseStoredPassword("{SHA}abc")).toEqual({
      error: expect.stringMatching(/unknown password scheme \{SHA\}/),
    });
    expect(parseStoredPassword("{SSHA512}not base64!")).toEqual({
      error: expect.stringMatching(/base64/),
    });
  });
});
