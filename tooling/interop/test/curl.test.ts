/**
 * Our server (the apop-server program) against the curl command-line tool.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildBulkCorpus, buildCorpus, type CorpusMessage } from "../src/corpus.ts";
import { describeRun, runTool } from "../src/run-tool.ts";
import { assertAllSame, describeDifference } from "../src/same-bytes.ts";
import { type Account, ALICE, BULK } from "../src/users.ts";
import { expectedTop, listSize, wireForm } from "../src/wire-form.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
const bulk = buildBulkCorpus();

let runs = 0;

const peers = usePeers("curl", {
  apop: [
    [ALICE, corpus],
    [BULK, bulk],
  ],
});
const apop = peers.apop;

type Mode = "stls" | "apop" | "pop3s" | "stls-plain-ir" | "stls-login";

/** The URL base and curl options for one way in. */
function way(mode: Mode, account: Account): { base: string; options: string[] } {
  const credentials = ["--user", `${account.name}:${account.secret}`];
  // pop3:// with --ssl-reqd: STLS, and no going on in clear.
  const stls = [...credentials, "--ssl-reqd", "--cacert", certificates.ca];
  switch (mode) {
    case "stls":
      return { base: `pop3://127.0.0.1:${apop().port}`, options: stls };
    case "stls-plain-ir":
      return {
        base: `pop3://127.0.0.1:${apop().port}`,
        options: [...stls, "--login-options", "AUTH=PLAIN", "--sasl-ir"],
      };
    case "stls-login":
      return {
        base: `pop3://127.0.0.1:${apop().port}`,
        options: [...stls, "--login-options", "AUTH=LOGIN"],
      };
    case "apop":
      return {
        base: `pop3://127.0.0.1:${apop().port}`,
        options: [...credentials, "--login-options", "AUTH=+APOP"],
      };
    case "pop3s":
      return {
        base: `pop3s://127.0.0.1:${apop().tlsPort}`,
        options: [...credentials, "--cacert", certificates.ca],
      };
  }
}

/**
 * One curl run over several URL paths (`/N` is RETR N, `/` is LIST or the `-X` command),
 * each written to its own file; returns the files' bytes in order. `commands` are the POP3
 * commands curl sent, from its `--verbose` trace (`> ` lines).
 */
async function curlRun(options: {
  mode: Mode;
  account?: Account;
  paths: readonly string[];
  request?: string;
}): Promise<{ bodies: Buffer[]; commands: string[] }> {
  const { base, options: wayOptions } = way(options.mode, options.account ?? ALICE);
  const files = options.paths.map((_, index) => join(peers.dir(), `curl-${++runs}-${index}.out`));
  const args = ["--silent", "--show-error", "--verbose", ...wayOptions];
  if (options.request !== undefined) args.push("--request", options.request);
  options.paths.forEach((path, index) => {
    args.push(`${base}${path}`, "--output", files[index] as string);
  });
  const result = await runTool({ command: "curl", args, timeoutMs: 120_000 });
  expect(result.code, describeRun(result)).toBe(0);
  const commands = result.stderr
    .toString("utf8")
    .split(/\r?\n/)
    .filter((line) => line.startsWith("> "))
    .map((line) => line.slice(2));
  return { bodies: await Promise.all(files.map((file) => readFile(file))), commands };
}

async function curl(options: Parameters<typeof curlRun>[0]): Promise<Buffer[]> {
  return (await curlRun(options)).bodies;
}

/** The login command curl sent (AUTH ..., APOP, USER), and whether STLS came before it. */
function loginOf(commands: readonly string[]): { login: string; afterStls: boolean } {
  const index = commands.findIndex((command) => /^(AUTH|APOP|USER) /.test(command));
  const login = (commands[index] ?? "none").replace(/^(APOP \S+|AUTH \S+|USER).*$/, "$1");
  return { login, afterStls: index > commands.indexOf("STLS") && commands.includes("STLS") };
}

function retrievedPairs(messages: readonly CorpusMessage[], bodies: readonly Buffer[]) {
  return messages.map((message, index) => ({
    name: message.name,
    actual: bodies[index],
    expected: wireForm(message.stored),
  }));
}

const retrPaths = (messages: readonly CorpusMessage[]): string[] =>
  messages.map((_, index) => `/${index + 1}`);

describe("apop-server with curl", () => {
  check("curl retrieves every corpus message byte for byte inside STLS (--ssl-reqd)", async () => {
    const { bodies, commands } = await curlRun({ mode: "stls", paths: retrPaths(corpus) });
    assertAllSame("curl over STLS", retrievedPairs(corpus, bodies));
    const { login, afterStls } = loginOf(commands);
    expect(afterStls, commands.join("\n")).toBe(true);
    // curl prefers any SASL mechanism the server lists over USER/PASS, and 7.88 has no
    // login option that asks for USER/PASS: against apop-server it never sends USER.
    return `curl logged in with ${login} after STLS`;
  });

  check("curl retrieves every corpus message byte for byte over APOP (AUTH=+APOP)", async () => {
    const { bodies, commands } = await curlRun({ mode: "apop", paths: retrPaths(corpus) });
    assertAllSame("curl APOP", retrievedPairs(corpus, bodies));
    expect(loginOf(commands).login).toBe(`APOP ${ALICE.name}`);
    return "APOP in clear";
  });

  check(
    "curl logs in with SASL PLAIN with an initial response (--sasl-ir) and with SASL LOGIN inside STLS",
    async () => {
      const plain = await curlRun({ mode: "stls-plain-ir", paths: ["/1"] });
      const login = await curlRun({ mode: "stls-login", paths: ["/1"] });
      expect(plain.commands.find((command) => command.startsWith("AUTH "))).toMatch(
        /^AUTH PLAIN [A-Za-z0-9+/=]+$/,
      );
      expect(login.commands.find((command) => command.startsWith("AUTH "))).toBe("AUTH LOGIN");
      expect(loginOf(plain.commands).afterStls && loginOf(login.commands).afterStls).toBe(true);
      const first = corpus[0] as CorpusMessage;
      assertAllSame("curl SASL", [
        {
          name: `${first.name} (PLAIN)`,
          actual: plain.bodies[0],
          expected: wireForm(first.stored),
        },
        {
          name: `${first.name} (LOGIN)`,
          actual: login.bodies[0],
          expected: wireForm(first.stored),
        },
      ]);
      return undefined;
    },
  );

  check(
    "curl retrieves every corpus message byte for byte over pop3s:// (implicit TLS)",
    async () => {
      const bodies = await curl({ mode: "pop3s", paths: retrPaths(corpus) });
      assertAllSame("curl pop3s", retrievedPairs(corpus, bodies));
      return undefined;
    },
  );

  check("curl retrieves the 200 messages of the bulk mailbox byte for byte", async () => {
    const bodies = await curl({ mode: "apop", account: BULK, paths: retrPaths(bulk) });
    assertAllSame("curl bulk", retrievedPairs(bulk, bodies));
    return undefined;
  });

  check("curl LIST shows the scan listing with every message's wire size", async () => {
    const [listing] = await curl({ mode: "stls", paths: ["/"] });
    const expected = corpus
      .map((message, index) => `${index + 1} ${listSize(message.stored)}\r\n`)
      .join("");
    expect(describeDifference(listing as Buffer, Buffer.from(expected))).toBeNull();
    return undefined;
  });

  check("curl -X UIDL lists every message's Maildir unique name", async () => {
    const [listing] = await curl({ mode: "pop3s", paths: ["/"], request: "UIDL" });
    const expected = peers
      .delivered(ALICE)
      .map((entry, index) => `${index + 1} ${entry.uniqueName}\r\n`)
      .join("");
    expect(describeDifference(listing as Buffer, Buffer.from(expected))).toBeNull();
    return undefined;
  });

  check(
    "curl -X TOP returns the header section and the first body lines of every message",
    async () => {
      const pairs: { name: string; actual: Buffer | undefined; expected: Buffer }[] = [];
      for (const lines of [0, 3]) {
        // One run per command: curl sends the -X text as given, with no message number.
        const bodies: (Buffer | undefined)[] = [];
        for (const [index] of corpus.entries()) {
          const [body] = await curl({
            mode: "apop",
            paths: ["/"],
            request: `TOP ${index + 1} ${lines}`,
          });
          bodies.push(body);
        }
        corpus.forEach((message, index) => {
          pairs.push({
            name: `${message.name} TOP ${lines}`,
            actual: bodies[index],
            expected: expectedTop(wireForm(message.stored), lines),
          });
        });
      }
      assertAllSame("curl -X TOP", pairs);
      return undefined;
    },
  );
});
