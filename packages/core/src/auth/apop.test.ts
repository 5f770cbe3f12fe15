import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  apopDigest,
  apopHostNameProblem,
  createApopTimestamp,
  digestsEqual,
  extractApopTimestamp,
  MAX_APOP_HOST_NAME_LENGTH,
  MAX_APOP_TIMESTAMP_LENGTH,
} from "./apop.ts";

const seed = 1939;

describe("apopDigest (RFC 1939 section 7)", () => {
  it.each([
    [
      "RFC 1939's example",
      "<1896.697170952@dbc.mtview.ca.us>",
      "tanstaaf",
      "c4c9334bac560ecc979e58001b3e22fb",
    ],
    [
      "Twisted's test",
      "<challenge string goes here>",
      "password",
      "f34f1e464d0d7927607753129cabe39a",
    ],
    ["curl's test", "<1972.987654321@curl>", "secret", "7501b4cdc224d469940e65e7b5e4d6eb"],
  ])("reproduces %s", (_source, timestamp, secret, digest) => {
    expect(apopDigest({ timestamp, secret })).toBe(digest);
  });

  it("encodes a non-ASCII secret as UTF-8", () => {
    const timestamp = "<1.2@h>";
    const secret = "p\u00e4ss\u{1f511}";
    const expected = createHash("md5")
      .update(timestamp + secret, "utf8")
      .digest("hex");
    expect(apopDigest({ timestamp, secret })).toBe(expected);
  });
});

describe("createApopTimestamp", () => {
  const random = Uint8Array.from({ length: 16 }, (_, i) => i);

  it("builds <now.randomhex@host>", () => {
    expect(createApopTimestamp({ now: 1_700_000_000_123.9, random, host: "pop.example.org" })).toBe(
      "<1700000000123.000102030405060708090a0b0c0d0e0f@pop.example.org>",
    );
  });

  it("differs whenever the random bytes differ, and is accepted by extractApopTimestamp", () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.uint8Array({ minLength: 16, maxLength: 32 }),
        fc.uint8Array({ minLength: 16, maxLength: 32 }),
        (now, first, second) => {
          const a = createApopTimestamp({ now, random: first, host: "mail.example" });
          const b = createApopTimestamp({ now, random: second, host: "mail.example" });
          expect(a === b).toBe(Buffer.from(first).equals(Buffer.from(second)));
          expect(extractApopTimestamp(`POP3 server ready ${a}`)).toEqual({
            ok: true,
            timestamp: a,
          });
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it("stays well under the 512-octet greeting line with a typical host", () => {
    const timestamp = createApopTimestamp({
      now: 8.64e15,
      random: new Uint8Array(randomBytes(16)),
      host: "a-rather-long-host-name.mail.example.com",
    });
    expect(timestamp.length).toBeLessThan(100);
  });

  it.each([
    ["an empty host", { host: "" }],
    ["a space in the host", { host: "pop example" }],
    ["'@' in the host", { host: "a@b" }],
    ["'<' in the host", { host: "a<b" }],
    ["'>' in the host", { host: "a>b" }],
    ["a control character in the host", { host: "a\r\nb" }],
    ["a non-ASCII host", { host: "b\u00fccher.example" }],
    ["fewer than 16 random bytes", { random: new Uint8Array(15) }],
    ["a negative clock", { now: -1 }],
    ["a NaN clock", { now: Number.NaN }],
    ["an infinite clock", { now: Number.POSITIVE_INFINITY }],
    ["a result over 255 characters", { host: "h".repeat(220) }],
  ])("throws RangeError for %s", (_name, override) => {
    const options = { now: 1, random, host: "pop.example", ...override };
    expect(() => createApopTimestamp(options)).toThrow(RangeError);
  });

  it("accepts the longest host name with the largest clock: exactly 255 characters", () => {
    const host = "h".repeat(MAX_APOP_HOST_NAME_LENGTH);
    const timestamp = createApopTimestamp({ now: Number.MAX_SAFE_INTEGER, random, host });
    expect(timestamp).toHaveLength(MAX_APOP_TIMESTAMP_LENGTH);
  });
});

describe("apopHostNameProblem: the one rule for the APOP host name", () => {
  it.each([
    ["pop.example.org"],
    ["localhost"],
    ["[192.0.2.1]"],
    ["h".repeat(MAX_APOP_HOST_NAME_LENGTH)],
  ])("accepts %s", (name) => {
    expect(apopHostNameProblem(name)).toBeNull();
  });

  it.each([
    ["an empty name", "", /empty/],
    ["'@' (the msg-id would have two)", "mail@example.org", /'@'/],
    ["'<'", "a<b", /'<'/],
    ["'>'", "a>b", /'>'/],
    ["a space", "pop example", /spaces/],
    ["a control character", "a\r\nb", /printable ASCII/],
    ["non-ASCII", "b\u00fccher.example", /printable ASCII/],
    ["one character too many", "h".repeat(MAX_APOP_HOST_NAME_LENGTH + 1), /over the limit/],
  ])("refuses %s", (_name, name, problem) => {
    expect(apopHostNameProblem(name)).toMatch(problem);
    // And what it refuses, the timestamp refuses: one rule, not two.
    expect(() => createApopTimestamp({ now: 1, random: new Uint8Array(16), host: name })).toThrow(
      RangeError,
    );
  });
});

describe("extractApopTimestamp", () => {
  it("finds RFC 1939's example timestamp", () => {
    expect(extractApopTimestamp("POP3 server ready <1896.697170952@dbc.mtview.ca.us>")).toEqual({
      ok: true,
      timestamp: "<1896.697170952@dbc.mtview.ca.us>",
    });
  });

  it("finds a timestamp in the middle of the text, as Dovecot sends it", () => {
    const text = "Dovecot ready. <1a2b.3.65f0c1d2.AbCdEf+/gH==@mx.example> more words";
    expect(extractApopTimestamp(text)).toEqual({
      ok: true,
      timestamp: "<1a2b.3.65f0c1d2.AbCdEf+/gH==@mx.example>",
    });
  });

  it("accepts exactly 255 characters", () => {
    const timestamp = `<${"a".repeat(MAX_APOP_TIMESTAMP_LENGTH - 4)}@b>`;
    expect(extractApopTimestamp(timestamp)).toEqual({ ok: true, timestamp });
  });

  // The poplib counterexamples: what Python's `re.compile(br'\+OK.[^<]*(<.*>)')` accepts.
  it.each([
    ["no timestamp at all", "POP3 server ready", /no '<'/],
    ["a control byte inside", "ready <1896.\u0001@host>", /U\+0001/],
    ["a CR inside", "ready <1896.\r@host>", /U\+000D/],
    ["a NUL inside", "ready <1896\u0000@host>", /U\+0000/],
    ["an 8-bit byte inside", "ready <1896.\u00e9@host>", /U\+00E9/],
    ["a space inside", "ready <1896 697@host>", /U\+0020/],
    ["two bracketed parts (<a> junk <b>)", "ready <a@x> junk <b@y>", /more than one '<'/],
    ["nested brackets", "ready <<a@b>>", /more than one '<'/],
    ["a second '>'", "ready <a@b>>", /more than one '>'/],
    ["a '>' before the '<'", "ready > <a@b", /before/],
    ["a '>' earlier in the text", "-> ready <a@b>", /more than one '>'|before/],
    ["no closing '>'", "ready <a@b", /no '>'/],
    ["no '@'", "ready <1896.697170952>", /no '@'/],
    ["two '@'", "ready <a@b@c>", /more than one '@'/],
    ["an empty local part", "ready <@host>", /nothing before/],
    ["an empty domain", "ready <1896@>", /nothing after/],
    ["empty brackets", "ready <>", /no '@'/],
    ["an over-long timestamp", `ready <${"a".repeat(300)}@b>`, /at most 255/],
    ["256 characters", `<${"a".repeat(MAX_APOP_TIMESTAMP_LENGTH - 3)}@b>`, /at most 255/],
  ])("rejects %s", (_name, text, reason) => {
    const result = extractApopTimestamp(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it("only ever returns printable-ASCII msg-ids found verbatim in the text", () => {
    const unit = fc.constantFrom("<", ">", "@", "a", " ", "\u0001", "\u00ff", ".");
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (text) => {
        const result = extractApopTimestamp(text);
        if (result.ok) {
          expect(text).toContain(result.timestamp);
          expect(result.timestamp).toMatch(
            /^<[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+>$/,
          );
        }
      }),
      { seed, numRuns: 2000 },
    );
  });
});

describe("digestsEqual", () => {
  const digest = "c4c9334bac560ecc979e58001b3e22fb";

  it("accepts equal digests in either case on either side", () => {
    expect(digestsEqual(digest, digest)).toBe(true);
    expect(digestsEqual(digest.toUpperCase(), digest)).toBe(true);
    expect(digestsEqual(digest, digest.toUpperCase())).toBe(true);
    expect(
      digestsEqual("0123456789abcdefABCDEF0123456789", "0123456789ABCDEFabcdef0123456789"),
    ).toBe(true);
  });

  it("rejects a difference at any single position", () => {
    for (let i = 0; i < 32; i++) {
      const other = digest.slice(0, i) + (digest[i] === "0" ? "1" : "0") + digest.slice(i + 1);
      expect(digestsEqual(digest, other)).toBe(false);
      expect(digestsEqual(other, digest)).toBe(false);
    }
  });

  it.each([
    ["shorter", digest.slice(0, 31)],
    ["longer", `${digest}0`],
    ["empty", ""],
    ["a prefix with the rest missing", digest.slice(0, 16)],
  ])("rejects a %s digest", (_name, other) => {
    expect(digestsEqual(digest, other)).toBe(false);
    expect(digestsEqual(other, digest)).toBe(false);
  });

  it("rejects non-hex characters even when both sides agree", () => {
    const bad = "g".repeat(32);
    expect(digestsEqual(bad, bad)).toBe(false);
    expect(digestsEqual(bad, "G".repeat(32))).toBe(false);
    // Characters whose bit 0x20 would make them look like digits or a-f.
    expect(digestsEqual("\u0010".repeat(32), "0".repeat(32))).toBe(false);
    expect(digestsEqual("\u0010".repeat(32), "\u0010".repeat(32))).toBe(false);
    expect(digestsEqual(" ".repeat(32), " ".repeat(32))).toBe(false);
    expect(digestsEqual("\u0130".repeat(32), "\u0130".repeat(32))).toBe(false);
  });

  it("agrees with a lower-cased string comparison on random hex", () => {
    const hex = fc.string({
      unit: fc.constantFrom(..."0123456789abcdefABCDEF"),
      minLength: 32,
      maxLength: 32,
    });
    fc.assert(
      fc.property(hex, hex, fc.boolean(), (a, b, same) => {
        const other = same ? a.toUpperCase() : b;
        expect(digestsEqual(a, other)).toBe(a.toLowerCase() === other.toLowerCase());
      }),
      { seed, numRuns: 500 },
    );
  });
});
