import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeUtf8 } from "../bytes/utf8.ts";
import {
  formatContinuation,
  formatStatusLine,
  parseContinuation,
  parseStatusLine,
  ResponseCode,
  type StatusLine,
} from "./status-line.ts";

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** Rows that format and parse both ways (RFC 1939 section 3, RFC 2449 section 8). */
const ROWS: readonly (readonly [StatusLine, string])[] = [
  [{ ok: true, text: "" }, "+OK\r\n"],
  [{ ok: true, text: "2 320" }, "+OK 2 320\r\n"],
  [{ ok: false, text: "" }, "-ERR\r\n"],
  [{ ok: false, text: "no such message" }, "-ERR no such message\r\n"],
  [{ ok: false, code: "IN-USE", text: "Maildrop locked" }, "-ERR [IN-USE] Maildrop locked\r\n"],
  [{ ok: false, code: "SYS/TEMP", text: "try later" }, "-ERR [SYS/TEMP] try later\r\n"],
  [{ ok: false, code: "AUTH", text: "" }, "-ERR [AUTH]\r\n"],
  [{ ok: true, code: "X-VENDOR/A/B", text: "done" }, "+OK [X-VENDOR/A/B] done\r\n"],
];

describe("status lines (RFC 1939 section 3, RFC 2449 section 8)", () => {
  it.each(ROWS)("formats %o as its wire bytes", (status, wire) => {
    expect(text(formatStatusLine(status))).toBe(wire);
  });

  it.each(ROWS)("parses the wire bytes of %o back", (status, wire) => {
    expect(parseStatusLine(latin1(wire.slice(0, -2)))).toStrictEqual(status);
  });

  it("accepts a bare +OK with no space (RFC 1957)", () => {
    expect(parseStatusLine(latin1("+OK"))).toStrictEqual({ ok: true, text: "" });
  });

  it("keeps an empty text after +OK and one space", () => {
    expect(parseStatusLine(latin1("+OK "))).toStrictEqual({ ok: true, text: "" });
  });

  it("keeps spaces beyond the first as text", () => {
    expect(parseStatusLine(latin1("+OK  two"))).toStrictEqual({ ok: true, text: " two" });
  });

  it("ignores the case of the status indicator", () => {
    expect(parseStatusLine(latin1("+ok fine"))).toStrictEqual({ ok: true, text: "fine" });
    expect(parseStatusLine(latin1("-err bad"))).toStrictEqual({ ok: false, text: "bad" });
  });

  it("reads a hierarchical code and upper-cases it", () => {
    expect(parseStatusLine(latin1("-ERR [sys/perm] gone"))).toStrictEqual({
      ok: false,
      code: "SYS/PERM",
      text: "gone",
    });
    expect(parseStatusLine(latin1("-ERR [AUTH/EXPIRED/X] old"))).toMatchObject({
      code: "AUTH/EXPIRED/X",
    });
  });

  it("reads a code alone, with no text after it", () => {
    expect(parseStatusLine(latin1("-ERR [AUTH]"))).toStrictEqual({
      ok: false,
      code: "AUTH",
      text: "",
    });
  });

  it.each([
    ["a bracket with spaces inside", "-ERR [not a code] x"],
    ["a bracket glued to the text", "-ERR [IN-USE]x"],
    ["an empty bracket", "-ERR [] x"],
    ["an unclosed bracket", "-ERR [IN-USE x"],
    ["an empty level", "-ERR [SYS//TEMP] x"],
    ["a trailing slash", "-ERR [SYS/] x"],
    ["a bracket after the text", "-ERR text [AUTH]"],
    ["a bracket after two spaces", "-ERR  [AUTH] x"],
  ])("keeps %s as text, not a code", (_, wire) => {
    const status = parseStatusLine(latin1(wire));
    expect(status).not.toBeNull();
    expect(status?.code).toBeUndefined();
    expect(status?.text).toBe(wire.replace(/^-ERR /, ""));
  });

  it.each([
    ["OK"],
    ["+OKAY"],
    ["-ERROR"],
    ["+OK\tfine"],
    ["+ OK"],
    ["ERR"],
    [""],
    ["+"],
    ["+ dGVzdA=="],
    ["* OK"],
  ])("refuses %j", (wire) => {
    expect(parseStatusLine(latin1(wire))).toBeNull();
  });

  it("reads UTF-8 text as UTF-8 (RFC 6856 section 2.1)", () => {
    expect(
      parseStatusLine(encodeUtf8("-ERR [IN-USE] Postfach gesperrt \u00fc\u65e5")),
    ).toStrictEqual({ ok: false, code: "IN-USE", text: "Postfach gesperrt \u00fc\u65e5" });
  });

  it("reads text that is not UTF-8 as latin-1, losing no byte", () => {
    const status = parseStatusLine(latin1("+OK caf\u00e9 \u00ff\u0080"));
    expect(status).toStrictEqual({ ok: true, text: "caf\u00e9 \u00ff\u0080" });
  });

  it("formats UTF-8 text as UTF-8", () => {
    expect(formatStatusLine({ ok: true, text: "\u00e9" })).toEqual(
      Uint8Array.of(0x2b, 0x4f, 0x4b, 0x20, 0xc3, 0xa9, 0x0d, 0x0a),
    );
  });

  it("refuses to format text with a line ending in it", () => {
    expect(() => formatStatusLine({ ok: true, text: "a\r\n+OK forged" })).toThrow(RangeError);
    expect(() => formatStatusLine({ ok: false, text: "a\nb" })).toThrow(RangeError);
  });

  it("knows the response codes of RFC 2449, RFC 3206 and RFC 6856", () => {
    expect(Object.values(ResponseCode).sort()).toEqual(
      ["AUTH", "IN-USE", "LOGIN-DELAY", "SYS/PERM", "SYS/TEMP", "UTF8"].sort(),
    );
  });

  it("parse(format(status)) is the status, for text that does not start with a bracket", () => {
    const code = fc.stringMatching(/^[A-Z0-9-]{1,10}(\/[A-Z0-9-]{1,10}){0,2}$/);
    const statusText = fc
      .string({
        unit: fc.oneof(
          fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          fc.constantFrom("\u00e9", "\u65e5"),
        ),
        maxLength: 60,
      })
      .filter((t) => !t.startsWith("["));
    const status = fc.record(
      { ok: fc.boolean(), code, text: statusText },
      { requiredKeys: ["ok", "text"], noNullPrototype: true },
    );
    fc.assert(
      fc.property(status, (value) => {
        const wire = formatStatusLine(value);
        expect(parseStatusLine(wire.subarray(0, -2))).toStrictEqual({ ...value });
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });
});

describe("continuation lines (RFC 5034 section 4)", () => {
  it("reads `+ ` and base64", () => {
    expect(parseContinuation(latin1("+ VXNlcm5hbWU6"))).toBe("VXNlcm5hbWU6");
  });

  it("reads `+ ` with nothing after it as an empty challenge", () => {
    expect(parseContinuation(latin1("+ "))).toBe("");
  });

  it("reads a bare `+` as an empty challenge, as some servers send it", () => {
    expect(parseContinuation(latin1("+"))).toBe("");
  });

  it.each([["+OK"], ["+OK dGVzdA=="], ["-ERR"], [""], ["VXNlcm5hbWU6"], ["+\tx"]])(
    "says %j is not a continuation",
    (wire) => {
      expect(parseContinuation(latin1(wire))).toBeNull();
    },
  );

  it("formats `+ ` base64 CRLF, also for an empty challenge", () => {
    expect(text(formatContinuation("PDEyMzRAaG9zdD4="))).toBe("+ PDEyMzRAaG9zdD4=\r\n");
    expect(text(formatContinuation(""))).toBe("+ \r\n");
  });
});
