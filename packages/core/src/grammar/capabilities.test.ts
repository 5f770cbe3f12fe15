import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCapabilities, parseCapabilities, saslMechanisms } from "./capabilities.ts";

// RFC 2449 section 5's example, without the terminator.
const RFC_2449_EXAMPLE = [
  "TOP",
  "USER",
  "SASL CRAM-MD5 KERBEROS_V4",
  "RESP-CODES",
  "LOGIN-DELAY 900",
  "PIPELINING",
  "EXPIRE 60",
  "UIDL",
  "IMPLEMENTATION Shlemazle-Plotz-v302",
];

describe("CAPA replies (RFC 2449 section 5)", () => {
  it("reads RFC 2449's example", () => {
    const capabilities = parseCapabilities(RFC_2449_EXAMPLE);
    expect([...capabilities.keys()]).toEqual([
      "TOP",
      "USER",
      "SASL",
      "RESP-CODES",
      "LOGIN-DELAY",
      "PIPELINING",
      "EXPIRE",
      "UIDL",
      "IMPLEMENTATION",
    ]);
    expect(capabilities.get("SASL")).toEqual(["CRAM-MD5", "KERBEROS_V4"]);
    expect(capabilities.get("LOGIN-DELAY")).toEqual(["900"]);
    expect(capabilities.get("TOP")).toEqual([]);
  });

  it("formats the parsed example back to the same lines", () => {
    expect(formatCapabilities(parseCapabilities(RFC_2449_EXAMPLE))).toEqual(RFC_2449_EXAMPLE);
  });

  it("upper-cases tags and keeps the case of arguments", () => {
    const capabilities = parseCapabilities(["sasl plain Login", "implementation MyServer"]);
    expect(capabilities.get("SASL")).toEqual(["plain", "Login"]);
    expect(capabilities.get("IMPLEMENTATION")).toEqual(["MyServer"]);
  });

  it("skips blank lines and collapses runs of spaces", () => {
    const capabilities = parseCapabilities(["", "   ", "  SASL  PLAIN   LOGIN ", "TOP"]);
    expect([...capabilities]).toEqual([
      ["SASL", ["PLAIN", "LOGIN"]],
      ["TOP", []],
    ]);
  });

  it("keeps the first of a repeated tag", () => {
    expect(parseCapabilities(["EXPIRE 60", "expire NEVER"]).get("EXPIRE")).toEqual(["60"]);
  });

  it("lists SASL mechanisms upper-cased, and none when SASL is absent", () => {
    expect(saslMechanisms(parseCapabilities(["SASL plain cram-md5"]))).toEqual([
      "PLAIN",
      "CRAM-MD5",
    ]);
    expect(saslMechanisms(parseCapabilities(["TOP"]))).toEqual([]);
  });

  it("parse(format(capabilities)) is the capabilities (property)", () => {
    const tag = fc.stringMatching(/^[A-Z0-9-]{1,16}$/);
    const arg = fc.stringMatching(/^[\x21-\x7e]{1,16}$/);
    const capabilities = fc
      .uniqueArray(fc.tuple(tag, fc.array(arg, { maxLength: 4 })), {
        selector: ([name]) => name,
        maxLength: 12,
      })
      .map((entries) => new Map(entries));
    fc.assert(
      fc.property(capabilities, (value) => {
        expect(parseCapabilities(formatCapabilities(value))).toEqual(value);
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });
});
