/**
 * What a server session does with input no correct client sends (RFC 1939 section 3,
 * RFC 2449 section 4): each line gets the right `-ERR`, and the session stays usable.
 * Then a property: random byte streams, cut at random, never make `receive` throw, and every
 * line the server writes is a status line, a continuation, or part of a multi-line block.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  b64,
  DEFAULT_POLICY,
  latin1,
  lines,
  RFC_DIGEST,
  ServerHarness,
} from "./helpers/server-harness.ts";

function fresh(options: ConstructorParameters<typeof ServerHarness>[0] = {}): ServerHarness {
  const harness = new ServerHarness(options);
  harness.output();
  return harness;
}

function loggedIn(options: ConstructorParameters<typeof ServerHarness>[0] = {}): ServerHarness {
  const harness = fresh(options);
  harness.login();
  return harness;
}

/** Checks the session still answers NOOP (TRANSACTION) or CAPA (AUTHORIZATION). */
function expectUsable(harness: ServerHarness): void {
  if (harness.session.state === "TRANSACTION") {
    expect(harness.send("NOOP\r\n")).toBe("+OK Nothing to do\r\n");
  } else {
    expect(harness.session.state).toBe("AUTHORIZATION");
    expect(harness.send("CAPA\r\n")).toMatch(/^\+OK Capability list follows\r\n[\s\S]*\r\n\.\r\n$/);
  }
}

const CASES: readonly (readonly [string, string | Uint8Array, string, boolean])[] = [
  // [what, input line(s), expected reply, after login]
  ["an empty line", "\r\n", "-ERR Unknown command", false],
  ["a bare LF", "\n", "-ERR Unknown command", false],
  ["a line of spaces", "    \r\n", "-ERR Unknown command", false],
  ["a NUL byte alone", "\u0000\r\n", "-ERR Command contains control characters", false],
  ["a NUL in a user name", "USER a\u0000b\r\n", "-ERR Command contains control characters", false],
  ["a NUL in a password", "PASS a\u0000b\r\n", "-ERR Command contains control characters", false],
  ["a NUL after a keyword", "NOOP\u0000\r\n", "-ERR Command contains control characters", true],
  ["an escape sequence", "\u001b[2JSTAT\r\n", "-ERR Command contains control characters", true],
  [
    "8-bit bytes that are not UTF-8",
    "USER \u00ff\u00fe\r\n",
    "-ERR Command is not valid UTF-8",
    false,
  ],
  ["an overlong UTF-8 NUL", "USER \u00c0\u0080\r\n", "-ERR Command is not valid UTF-8", false],
  ["a UTF-8 keyword", new TextEncoder().encode("\u00dcSER x\r\n"), "-ERR Unknown command", false],
  ["a number past 2^31-1", "RETR 2147483648\r\n", "-ERR Invalid message number: 2147483648", true],
  [
    "a 40-digit number",
    `LIST ${"9".repeat(40)}\r\n`,
    `-ERR Invalid message number: ${"9".repeat(20)}...`,
    true,
  ],
  ["message number 0", "DELE 0\r\n", "-ERR Invalid message number: 0", true],
  ["a signed number", "RETR +1\r\n", "-ERR Invalid message number: +1", true],
  ["a negative TOP line count", "TOP 1 -1\r\n", "-ERR Invalid line count: -1", true],
  ["noise after a number", "RETR 1x\r\n", "-ERR Invalid message number: 1x", true],
  ["an extra argument", "RETR 1 2\r\n", "-ERR RETR takes one message number", true],
  ["double spaces", "DELE  1\r\n", "-ERR DELE: arguments are separated by one space", true],
  ["a message past the end", "RETR 99\r\n", "-ERR There is no message 99, only 3", true],
  ["RETR before login", "RETR 1\r\n", "-ERR RETR is not valid in the AUTHORIZATION state", false],
  ["USER after login", "USER x\r\n", "-ERR USER is not valid in the TRANSACTION state", true],
  ["STLS after login", "STLS\r\n", "-ERR STLS is not valid in the TRANSACTION state", true],
  ["AUTH after login", "AUTH PLAIN\r\n", "-ERR AUTH is not valid in the TRANSACTION state", true],
  ["a bad APOP digest", "APOP mrose xyz\r\n", "-ERR APOP digest must be 32 hex digits", false],
  [
    "AUTH with a bad mechanism name",
    "AUTH \u0001\r\n",
    "-ERR Command contains control characters",
    false,
  ],
  [
    "AUTH with garbage base64",
    "AUTH PLAIN ====\r\n",
    "-ERR Invalid base64 in initial response",
    false,
  ],
  [
    "AUTH with an unknown mechanism",
    "AUTH X-UNKNOWN\r\n",
    "-ERR Unsupported SASL mechanism: X-UNKNOWN",
    false,
  ],
  ["a command line of 2000 octets", `USER ${"x".repeat(2000)}\r\n`, "-ERR Line too long", false],
  ["a 2000-octet line with no end yet", "y".repeat(2000), "-ERR Line too long", true],
];

describe("malformed input gets -ERR and the session stays usable", () => {
  it.each(CASES)("%s", (_, input, reply, afterLogin) => {
    const harness = afterLogin ? loggedIn() : fresh();
    const mark = harness.events.length;
    const output = harness.send(input);
    expect(output).toBe(`${reply}\r\n`);
    expect(harness.since(mark).map((e) => e.type)).toContain("command-rejected");
    // The rest of an over-long line is skipped up to its end; then commands work again.
    if (typeof input === "string" && !input.endsWith("\n")) harness.send("\r\n");
    expectUsable(harness);
  });

  it("answers SASL garbage with -ERR and reads the next line as a command", () => {
    for (const garbage of ["!!!!", "\u0000", "QUIT QUIT", "=", "a"]) {
      const harness = fresh();
      expect(harness.send("AUTH PLAIN\r\n")).toBe("+ \r\n");
      expect(harness.send(`${garbage}\r\n`), JSON.stringify(garbage)).toMatch(/^-ERR /);
      expectUsable(harness);
    }
  });

  it("answers a malformed PLAIN message like a wrong password", () => {
    const harness = fresh();
    expect(harness.send(`AUTH PLAIN ${b64("a\u0000b\u0000c\u0000d")}\r\n`)).toMatch(
      /^-ERR \[AUTH\] Authentication failed/,
    );
    expectUsable(harness);
  });

  it("answers every line of a pipelined burst of garbage in order", () => {
    const harness = fresh({ limits: { badCommands: 100 } });
    const output = harness.send("\r\nXTND\r\nRETR 1\r\nUSER\r\nCAPA\r\n");
    expect(lines(output).slice(0, 5)).toEqual([
      "-ERR Unknown command",
      "-ERR Unknown command: XTND",
      "-ERR RETR is not valid in the AUTHORIZATION state",
      "-ERR USER takes one name",
      "+OK Capability list follows",
    ]);
  });

  it("closes once the bad commands reach the limit, and ignores what follows", () => {
    const harness = fresh({ limits: { badCommands: 3 } });
    const output = harness.send("\u0000\r\n\u00ff\r\nXTND\r\nCAPA\r\n");
    expect(lines(output)).toEqual([
      "-ERR Command contains control characters",
      "-ERR Command is not valid UTF-8",
      "-ERR Unknown command: XTND",
      "-ERR Too many bad commands, closing connection",
    ]);
    expect(harness.session.state).toBe("CLOSED");
  });
});

// ---------------------------------------------------------------------------------------------
// Property: random input never throws, and the output keeps POP3's shape.

const COMMANDS = fc.constantFrom(
  "USER mrose",
  "PASS tanstaaf",
  `APOP mrose ${RFC_DIGEST}`,
  "STAT",
  "LIST",
  "LIST 1",
  "RETR 2",
  "DELE 1",
  "NOOP",
  "RSET",
  "QUIT",
  "TOP 2 1",
  "UIDL",
  "UIDL 3",
  "CAPA",
  "STLS",
  "AUTH",
  "AUTH PLAIN",
  "AUTH LOGIN",
  "AUTH CRAM-MD5",
  "UTF8",
  "LANG",
  "LANG en",
  "*",
  "=",
  b64("\u0000mrose\u0000tanstaaf"),
);
const piece = fc.oneof(
  { weight: 6, arbitrary: COMMANDS },
  { weight: 6, arbitrary: fc.constantFrom("\r\n", "\n", "\r", " ", "  ", "\t") },
  { weight: 3, arbitrary: fc.constantFrom("0", "1", "3", "4", "-1", "99999999999", "2147483648") },
  { weight: 2, arbitrary: fc.constantFrom("\u0000", "\u00ff", "\u00c3\u00a9", "\u0080", ".") },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 16 }).map((octets) => String.fromCharCode(...octets)),
  },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom("x", "A"), minLength: 200, maxLength: 1500 }),
  },
);
// Mostly whole lines, so sessions get past login and into the commands that need a maildrop;
// sometimes a line runs into the next one, or ends in a bare LF or CR.
const line = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: COMMANDS },
      {
        weight: 2,
        arbitrary: fc.array(piece, { minLength: 1, maxLength: 3 }).map((p) => p.join("")),
      },
    ),
    fc.oneof(
      { weight: 8, arbitrary: fc.constant("\r\n") },
      { weight: 1, arbitrary: fc.constantFrom("\n", "\r", "") },
    ),
  )
  .map(([content, end]) => content + end);
const stream = fc
  .array(line, { maxLength: 60, size: "medium" })
  .map((parts) => latin1(parts.join("")));
const cuts = fc.array(fc.nat(), { maxLength: 10 });

function split(input: Uint8Array, at: readonly number[]): Uint8Array[] {
  const sorted = at.map((cut) => cut % (input.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...sorted, input.length]) {
    chunks.push(input.subarray(start, cut));
    start = cut;
  }
  return chunks.filter((chunk) => chunk.length > 0);
}

const STATUS = /^(\+OK|-ERR)( |$)/;
const CONTINUATION = /^\+ /;
/** Lines allowed inside a block: listings, capabilities, languages, and the fixture messages. */
const BLOCK_LINE =
  /^(\d+ \d+|\d+ uid-\d+|[A-Z0-9-]+( [A-Za-z0-9-]+)*|[a-z]+(-[a-z]+)? \w+|Subject: \w+|From: b@example\.org|body one|line \d|\.\.dot|x|)$/;

/**
 * Reads the output as POP3: a status line or continuation at the top; after a +OK, either the
 * next status line or a block of allowed lines that ends with ".". Returns the problems.
 */
function checkShape(output: string): string[] {
  const problems: string[] = [];
  if (output !== "" && !output.endsWith("\r\n")) problems.push("output does not end with CRLF");
  let inBlock = false;
  let afterOk = false;
  for (const line of lines(output)) {
    if (inBlock) {
      if (line === ".") inBlock = false;
      else if (!BLOCK_LINE.test(line)) problems.push(`bad block line ${JSON.stringify(line)}`);
      continue;
    }
    if (STATUS.test(line)) {
      afterOk = line.startsWith("+OK");
      continue;
    }
    if (CONTINUATION.test(line)) {
      afterOk = false;
      continue;
    }
    if (afterOk && (line === "." || BLOCK_LINE.test(line))) {
      inBlock = line !== ".";
      afterOk = false;
      continue;
    }
    problems.push(`bad line ${JSON.stringify(line)}`);
  }
  if (inBlock) problems.push("unterminated block");
  return problems;
}

describe("random input (property)", () => {
  it("never throws from receive, and every output line keeps POP3's shape", () => {
    fc.assert(
      fc.property(stream, cuts, fc.boolean(), fc.boolean(), (input, at, lenient, tlsAvailable) => {
        const harness = new ServerHarness({
          policy: { ...DEFAULT_POLICY, allowPlaintextAuth: lenient, tlsAvailable },
          limits: lenient ? { badCommands: 1000, authFailures: 1000 } : {},
        });
        let output = harness.output();
        for (const chunk of split(input, at)) {
          harness.now += 1;
          output += harness.send(chunk);
        }
        output += harness.send(new Uint8Array(0));
        expect(checkShape(output)).toEqual([]);
        expect(harness.session.state).toBe("CLOSED");
        const closes = harness.events.filter((e) => e.type === "session-closed");
        expect(closes).toHaveLength(1);
      }),
      { seed: 20261126, numRuns: 500 },
    );
  });

  it("answers the same, whatever the cuts", () => {
    fc.assert(
      fc.property(stream, cuts, (input, at) => {
        const run = (chunks: readonly Uint8Array[]): string => {
          const harness = new ServerHarness({ limits: { badCommands: 1000, authFailures: 1000 } });
          let output = harness.output();
          for (const chunk of chunks) output += harness.send(chunk);
          return output;
        };
        expect(run(split(input, at))).toBe(run([input]));
      }),
      { seed: 20261126, numRuns: 300 },
    );
  });
});
