import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeUtf8 } from "../bytes/utf8.ts";
import {
  type Command,
  formatCommand,
  formatCommandText,
  KEYWORDS,
  MAX_NUMBER,
  parseCommand,
  redactCommand,
} from "./command.ts";

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
/** The line as the server's LineReader hands it over: without CRLF. */
const line = (wire: string): Uint8Array => latin1(wire.replace(/\r\n$/, ""));

/**
 * One table, both directions (h11 `test_io.py`): `formatCommand(value)` gives the wire bytes,
 * and `parseCommand` of those bytes gives the value back. Every keyword of RFC 1939, RFC 2449,
 * RFC 2595, RFC 5034 and RFC 6856 appears, with and without its optional arguments.
 */
const ROWS: readonly (readonly [Command, string])[] = [
  [{ keyword: "USER", name: "mrose" }, "USER mrose\r\n"],
  [{ keyword: "PASS", password: "secret" }, "PASS secret\r\n"],
  // RFC 1939 section 7: the server may treat spaces in the argument as part of the password.
  [{ keyword: "PASS", password: "a b  c\td " }, "PASS a b  c\td \r\n"],
  [{ keyword: "PASS", password: "" }, "PASS \r\n"],
  [
    { keyword: "APOP", name: "mrose", digest: "c4c9334bac560ecc979e58001b3e22fb" },
    "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
  ],
  [{ keyword: "STAT" }, "STAT\r\n"],
  [{ keyword: "LIST" }, "LIST\r\n"],
  [{ keyword: "LIST", message: 2 }, "LIST 2\r\n"],
  [{ keyword: "LIST", message: MAX_NUMBER }, "LIST 2147483647\r\n"],
  [{ keyword: "RETR", message: 1 }, "RETR 1\r\n"],
  [{ keyword: "DELE", message: 1 }, "DELE 1\r\n"],
  [{ keyword: "NOOP" }, "NOOP\r\n"],
  [{ keyword: "RSET" }, "RSET\r\n"],
  [{ keyword: "QUIT" }, "QUIT\r\n"],
  [{ keyword: "TOP", message: 10, lines: 0 }, "TOP 10 0\r\n"],
  [{ keyword: "TOP", message: 1, lines: 10 }, "TOP 1 10\r\n"],
  [{ keyword: "UIDL" }, "UIDL\r\n"],
  [{ keyword: "UIDL", message: 2 }, "UIDL 2\r\n"],
  [{ keyword: "CAPA" }, "CAPA\r\n"],
  [{ keyword: "STLS" }, "STLS\r\n"],
  [{ keyword: "AUTH" }, "AUTH\r\n"],
  [{ keyword: "AUTH", mechanism: "PLAIN" }, "AUTH PLAIN\r\n"],
  [{ keyword: "AUTH", mechanism: "CRAM-MD5" }, "AUTH CRAM-MD5\r\n"],
  // RFC 5034 section 4: `=` is an initial response that is present but empty.
  [{ keyword: "AUTH", mechanism: "PLAIN", initialResponse: "=" }, "AUTH PLAIN =\r\n"],
  [
    { keyword: "AUTH", mechanism: "PLAIN", initialResponse: "AHRpbQB0YW5zdGFhZg==" },
    "AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n",
  ],
  [{ keyword: "UTF8" }, "UTF8\r\n"],
  [{ keyword: "LANG" }, "LANG\r\n"],
  [{ keyword: "LANG", tag: "en" }, "LANG en\r\n"],
  [{ keyword: "LANG", tag: "sr-Latn-RS" }, "LANG sr-Latn-RS\r\n"],
  [{ keyword: "LANG", tag: "*" }, "LANG *\r\n"],
];

describe("the command table (RFC 1939 sections 4-7, RFC 2449, 2595, 5034, 6856)", () => {
  it("has a row for every keyword", () => {
    expect(new Set(ROWS.map(([command]) => command.keyword))).toEqual(new Set(KEYWORDS));
  });

  it.each(ROWS)("formats %o as its wire bytes", (command, wire) => {
    expect(text(formatCommand(command))).toBe(wire);
  });

  it.each(ROWS)("parses the wire bytes of %o back to the same value", (command, wire) => {
    expect(parseCommand(line(wire))).toStrictEqual({ ok: true, command });
  });
});

describe("parseCommand", () => {
  it.each([
    ["user mrose", { keyword: "USER", name: "mrose" }],
    ["uSeR mrose", { keyword: "USER", name: "mrose" }],
    ["stat", { keyword: "STAT" }],
    ["Top 1 2", { keyword: "TOP", message: 1, lines: 2 }],
    ["pass Secret", { keyword: "PASS", password: "Secret" }],
    // The mechanism name is case-insensitive too (RFC 4422 section 3.1); it is kept upper-cased.
    ["auth plain =", { keyword: "AUTH", mechanism: "PLAIN", initialResponse: "=" }],
    ["utf8", { keyword: "UTF8" }],
  ] as const)("reads keywords in any case: %j", (wire, command) => {
    expect(parseCommand(line(wire))).toStrictEqual({ ok: true, command });
  });

  it("keeps the case of names, digests and initial responses", () => {
    expect(parseCommand(line("apop MRose C4C9334BAC560ECC979E58001B3E22FB"))).toStrictEqual({
      ok: true,
      command: { keyword: "APOP", name: "MRose", digest: "C4C9334BAC560ECC979E58001B3E22FB" },
    });
    expect(parseCommand(line("AUTH plain AbC="))).toStrictEqual({
      ok: true,
      command: { keyword: "AUTH", mechanism: "PLAIN", initialResponse: "AbC=" },
    });
  });

  it("keeps spaces and tabs in a password verbatim, leading and trailing ones too", () => {
    expect(parseCommand(line("PASS  two  spaces\tand a tab\t "))).toStrictEqual({
      ok: true,
      command: { keyword: "PASS", password: " two  spaces\tand a tab\t " },
    });
  });

  it("tolerates one trailing space after a command, as some clients send it", () => {
    expect(parseCommand(line("STAT "))).toStrictEqual({ ok: true, command: { keyword: "STAT" } });
    expect(parseCommand(line("RETR 1 "))).toStrictEqual({
      ok: true,
      command: { keyword: "RETR", message: 1 },
    });
  });

  it("reads a UTF-8 user name (RFC 6856 section 2)", () => {
    expect(parseCommand(encodeUtf8("USER j\u00fcrgen"))).toStrictEqual({
      ok: true,
      command: { keyword: "USER", name: "j\u00fcrgen" },
    });
  });

  it("accepts the largest message number and line count", () => {
    expect(parseCommand(line(`TOP ${MAX_NUMBER} ${MAX_NUMBER}`))).toStrictEqual({
      ok: true,
      command: { keyword: "TOP", message: MAX_NUMBER, lines: MAX_NUMBER },
    });
  });

  const REJECTED: readonly (readonly [string, Uint8Array, "unknown-command" | "bad-syntax"])[] = [
    ["an unknown keyword", line("XTND XMIT"), "unknown-command"],
    ["an empty line", line(""), "unknown-command"],
    ["a line of spaces", line("   "), "unknown-command"],
    ["a keyword with a tab after it", line("NOOP\t"), "unknown-command"],
    // RFC 1939 section 3: keywords are ASCII. Unicode case folding would read these as STAT
    // and LIST (U+017F LONG S upper-cases to S, U+0131 DOTLESS I to I): a parser differential.
    ["a keyword that only Unicode folds to STAT", encodeUtf8("\u017Ftat"), "unknown-command"],
    ["a keyword that only Unicode folds to LIST", encodeUtf8("l\u0131st"), "unknown-command"],
    ["a NUL byte", line("USER a\u0000b"), "bad-syntax"],
    ["a NUL byte in a password", line("PASS a\u0000b"), "bad-syntax"],
    ["a CR inside the line", line("USER a\rDELE 1"), "bad-syntax"],
    ["a DEL character", line("USER a\u007f"), "bad-syntax"],
    ["a tab outside a password", line("USER a\tb"), "bad-syntax"],
    ["8-bit bytes that are not UTF-8", line("USER \u00e9t\u00e9"), "bad-syntax"],
    ["a lone UTF-8 continuation byte", line("USER a\u0080"), "bad-syntax"],
    ["an 11-digit number", line("RETR 12345678901"), "bad-syntax"],
    ["a number past 2^31-1", line("RETR 2147483648"), "bad-syntax"],
    ["a 20-digit number", line("LIST 99999999999999999999"), "bad-syntax"],
    ["message number 0", line("RETR 0"), "bad-syntax"],
    ["message number 0 in LIST", line("LIST 0"), "bad-syntax"],
    ["message number 0 in TOP", line("TOP 0 1"), "bad-syntax"],
    ["a negative number", line("DELE -1"), "bad-syntax"],
    ["a number with a plus sign", line("RETR +1"), "bad-syntax"],
    ["a decimal fraction", line("RETR 1.0"), "bad-syntax"],
    ["a hexadecimal number", line("RETR 0x1"), "bad-syntax"],
    ["an exponent", line("RETR 1e3"), "bad-syntax"],
    ["an extra argument to RETR", line("RETR 1 2"), "bad-syntax"],
    ["an extra argument to LIST", line("LIST 1 2"), "bad-syntax"],
    ["an extra argument to UIDL", line("UIDL 1 2"), "bad-syntax"],
    ["an argument to STAT", line("STAT 1"), "bad-syntax"],
    ["an argument to QUIT", line("QUIT now"), "bad-syntax"],
    ["an argument to UTF8", line("UTF8 USER"), "bad-syntax"],
    ["double spaces", line("RETR  1"), "bad-syntax"],
    ["double spaces between arguments", line("TOP 1  2"), "bad-syntax"],
    ["two trailing spaces", line("LIST 1  "), "bad-syntax"],
    ["RETR without a number", line("RETR"), "bad-syntax"],
    ["DELE without a number", line("DELE"), "bad-syntax"],
    ["USER without a name", line("USER"), "bad-syntax"],
    ["USER with two names", line("USER a b"), "bad-syntax"],
    ["PASS without a password", line("PASS"), "bad-syntax"],
    ["APOP without a digest", line("APOP mrose"), "bad-syntax"],
    ["APOP with a short digest", line("APOP mrose c4c9334bac560ecc979e58001b3e22f"), "bad-syntax"],
    ["APOP with a non-hex digest", line(`APOP mrose ${"g".repeat(32)}`), "bad-syntax"],
    ["APOP with an extra argument", line(`APOP mrose ${"a".repeat(32)} x`), "bad-syntax"],
    ["TOP with a negative line count", line("TOP 1 -1"), "bad-syntax"],
    ["TOP without a line count", line("TOP 1"), "bad-syntax"],
    ["a mechanism name with a bad character", line("AUTH PL@IN"), "bad-syntax"],
    ["a mechanism name over 20 characters", line(`AUTH ${"A".repeat(21)}`), "bad-syntax"],
    ["AUTH with three arguments", line("AUTH PLAIN = x"), "bad-syntax"],
    ["a malformed language tag", line("LANG en_US"), "bad-syntax"],
    ["two language tags", line("LANG en fr"), "bad-syntax"],
  ];

  it.each(REJECTED)("refuses %s", (_, bytes, reason) => {
    const result = parseCommand(bytes);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.message).not.toBe("");
    }
  });

  it("names the unknown keyword when it is short printable ASCII", () => {
    expect(parseCommand(line("xtnd xmit"))).toEqual({
      ok: false,
      reason: "unknown-command",
      message: "Unknown command: XTND",
      response: { id: "unknownCommand", params: { keyword: "XTND" } },
    });
  });

  it("does not echo unknown keywords that are long or not printable ASCII", () => {
    for (const wire of [encodeUtf8("\u00e9t\u00e9"), line("A".repeat(17)), line("")]) {
      expect(parseCommand(wire)).toEqual({
        ok: false,
        reason: "unknown-command",
        message: "Unknown command",
        response: { id: "unknownCommand", params: { keyword: "" } },
      });
    }
  });

  it("shows an echoed argument as printable ASCII only (RFC 6856 section 2: no UTF-8 before UTF8)", () => {
    const result = parseCommand(encodeUtf8("RETR gr\u00fc\u00dfe"));
    expect(result).toMatchObject({ message: "Invalid message number: gr??e" });
  });

  it("shortens a long bad number in its message", () => {
    const result = parseCommand(line(`RETR ${"9".repeat(40)}`));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toBe(`Invalid message number: ${"9".repeat(20)}...`);
  });
});

describe("formatCommand", () => {
  it.each([
    ["a space in a user name", { keyword: "USER", name: "a b" }],
    ["a CRLF in a user name", { keyword: "USER", name: "a\r\nDELE 1" }],
    ["an LF in a user name", { keyword: "USER", name: "a\nb" }],
    ["an empty user name", { keyword: "USER", name: "" }],
    ["a CRLF in a password", { keyword: "PASS", password: "pw\r\nDELE 1" }],
    ["a CR in a password", { keyword: "PASS", password: "pw\r" }],
    ["a NUL in a password", { keyword: "PASS", password: "a\u0000b" }],
    ["a space in an APOP name", { keyword: "APOP", name: "a b", digest: "0".repeat(32) }],
    ["a short APOP digest", { keyword: "APOP", name: "a", digest: "0".repeat(31) }],
    ["message number 0", { keyword: "RETR", message: 0 }],
    ["a negative message number", { keyword: "DELE", message: -1 }],
    ["a fractional message number", { keyword: "LIST", message: 1.5 }],
    ["a message number past 2^31-1", { keyword: "UIDL", message: MAX_NUMBER + 1 }],
    ["NaN", { keyword: "RETR", message: Number.NaN }],
    ["a negative line count", { keyword: "TOP", message: 1, lines: -1 }],
    ["a bad mechanism name", { keyword: "AUTH", mechanism: "BAD MECH" }],
    ["a space in an initial response", { keyword: "AUTH", mechanism: "X", initialResponse: "a b" }],
    ["an empty initial response", { keyword: "AUTH", mechanism: "PLAIN", initialResponse: "" }],
    ["a space in a language tag", { keyword: "LANG", tag: "en US" }],
  ] as const)("throws RangeError for %s", (_, command) => {
    expect(() => formatCommand(command as Command)).toThrow(RangeError);
  });
});

describe("redactCommand", () => {
  it("hides passwords, APOP digests and initial responses, and nothing else", () => {
    expect(redactCommand({ keyword: "PASS", password: "hunter2" })).toBe("PASS ***");
    expect(redactCommand({ keyword: "APOP", name: "mrose", digest: "a".repeat(32) })).toBe(
      "APOP mrose ***",
    );
    expect(
      redactCommand({ keyword: "AUTH", mechanism: "PLAIN", initialResponse: "AGEAYg==" }),
    ).toBe("AUTH PLAIN ***");
    expect(redactCommand({ keyword: "AUTH", mechanism: "PLAIN" })).toBe("AUTH PLAIN");
    expect(redactCommand({ keyword: "USER", name: "mrose" })).toBe("USER mrose");
    expect(redactCommand({ keyword: "RETR", message: 3 })).toBe("RETR 3");
  });
});

// ---------------------------------------------------------------------------------------------
// Property: format then parse is the identity for every valid command.

const SEED = 20261126;
const RUNS = 500;

const printable = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
const argChar = fc.oneof(
  { weight: 8, arbitrary: printable },
  { weight: 1, arbitrary: fc.constantFrom("\u00e9", "\u00fc", "\u65e5", "\u{1F600}") },
);
const argument = fc.string({ unit: argChar, minLength: 1, maxLength: 40 });
const password = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: argChar },
    { weight: 1, arbitrary: fc.constantFrom(" ", "\t") },
  ),
  maxLength: 40,
});
const messageNumber = fc.integer({ min: 1, max: MAX_NUMBER });
const lineCount = fc.integer({ min: 0, max: MAX_NUMBER });
const digest = fc.stringMatching(/^[0-9a-fA-F]{32}$/);
const mechanism = fc.stringMatching(/^[A-Z0-9_-]{1,20}$/);
const tag = fc.oneof(
  fc.constant("*"),
  fc.stringMatching(/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,3}$/),
);

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  argument.map((name): Command => ({ keyword: "USER", name })),
  password.map((password): Command => ({ keyword: "PASS", password })),
  fc.tuple(argument, digest).map(([name, digest]): Command => ({ keyword: "APOP", name, digest })),
  fc
    .constantFrom(
      "STAT",
      "NOOP",
      "RSET",
      "QUIT",
      "CAPA",
      "STLS",
      "UTF8",
      "LIST",
      "UIDL",
      "AUTH",
      "LANG",
    )
    .map((keyword) => ({ keyword }) as Command),
  fc
    .tuple(fc.constantFrom("LIST", "UIDL", "RETR", "DELE"), messageNumber)
    .map(([keyword, message]) => ({ keyword, message }) as Command),
  fc
    .tuple(messageNumber, lineCount)
    .map(([message, lines]): Command => ({ keyword: "TOP", message, lines })),
  mechanism.map((mechanism): Command => ({ keyword: "AUTH", mechanism })),
  fc
    .tuple(mechanism, fc.oneof(fc.constant("="), argument))
    .map(
      ([mechanism, initialResponse]): Command => ({ keyword: "AUTH", mechanism, initialResponse }),
    ),
  tag.map((tag): Command => ({ keyword: "LANG", tag })),
);

describe("formatCommand and parseCommand (property)", () => {
  it("parse(format(command)) is the command, for arbitrary valid commands", () => {
    fc.assert(
      fc.property(commandArbitrary, (command) => {
        const wire = formatCommand(command);
        expect(text(wire.subarray(-2))).toBe("\r\n");
        expect(parseCommand(wire.subarray(0, -2))).toStrictEqual({ ok: true, command });
        expect(formatCommandText(command)).toBe(new TextDecoder().decode(wire.subarray(0, -2)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("keeps a formatted command on one line: no CR or LF before the final CRLF", () => {
    fc.assert(
      fc.property(commandArbitrary, (command) => {
        const wire = formatCommand(command);
        const body = wire.subarray(0, -2);
        expect(body.includes(0x0d) || body.includes(0x0a)).toBe(false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
