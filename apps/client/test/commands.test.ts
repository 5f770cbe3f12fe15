import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { maildirProblems } from "./helpers/local-mail.ts";
import { bigMessage, serverUid, smallMessage, TRICKY } from "./helpers/messages.ts";
import { APP_DIR, collect, MAIN, runApop } from "./helpers/run-apop.ts";
import { PASSWORD, perFileServer } from "./helpers/server.ts";

const { pki, work, server } = perFileServer();

const env = { APOP_PASSWORD: PASSWORD };

const tlsUrl = (user: string): string => `pop3s://${user}@127.0.0.1:${server.tlsPort}`;

/** The LIST size of a stored message: the CRLF form, without a CRLF the server adds at the end. */
function listSize(message: { stored: Buffer; arrives: Buffer }): number {
  const last = message.stored.at(-1);
  return message.arrives.length - (last === undefined || last === 0x0a ? 0 : 2);
}

describe("apop list", () => {
  it("shows numbers, sizes and UIDLs as a table, and as JSON", async () => {
    const messages = TRICKY.slice(0, 3);
    const user = work.user(messages);
    const table = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile], {
      home: user.home,
      env,
    });
    expect(table.code).toBe(0);
    const rows = messages.map((m, i) => [String(i + 1), String(listSize(m)), serverUid(i)]);
    const width = Math.max(4, ...rows.map((r) => (r[1] as string).length));
    expect(table.stdout).toBe(
      [
        `#  ${"SIZE".padStart(width)}  UIDL`,
        ...rows.map(([n, size, uid]) => `${n}  ${(size as string).padStart(width)}  ${uid}`),
      ]
        .join("\n")
        .concat("\n"),
    );

    const json = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile, "--json"], {
      home: user.home,
      env,
    });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      account: `${user.name}@127.0.0.1:${server.tlsPort}`,
      uidl: true,
      messages: messages.map((m, i) => ({ number: i + 1, size: listSize(m), uid: serverUid(i) })),
    });
  });

  it("says so when the mailbox is empty", async () => {
    const user = work.user([]);
    const result = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile], {
      home: user.home,
      env,
    });
    expect(result.stdout).toBe(`no messages for ${user.name}@127.0.0.1:${server.tlsPort}\n`);
  });
});

describe("apop check", () => {
  it("counts what a fetch would download, before and after a fetch, as text and JSON", async () => {
    const messages = [smallMessage(1), smallMessage(2), smallMessage(3)];
    const user = work.user(messages);
    const account = `${user.name}@127.0.0.1:${server.tlsPort}`;
    const total = { count: 3, size: messages.reduce((sum, m) => sum + listSize(m), 0) };

    const before = await runApop(["check", tlsUrl(user.name), "--ca", pki.caFile, "--json"], {
      home: user.home,
      env,
    });
    expect(JSON.parse(before.stdout)).toEqual({ account, uidl: true, new: total, total });
    const text = await runApop(["check", tlsUrl(user.name), "--ca", pki.caFile], {
      home: user.home,
      env,
    });
    expect(text.stdout).toBe(
      `${account}: 3 new messages (${total.size} B); 3 messages (${total.size} B) on the server\n`,
    );

    const local = join(work.dir, `${user.name}-Maildir`);
    expect(
      (
        await runApop(["fetch", tlsUrl(user.name), "--ca", pki.caFile, "--maildir", local], {
          home: user.home,
          env,
        })
      ).code,
    ).toBe(0);

    const after = await runApop(["check", tlsUrl(user.name), "--ca", pki.caFile, "--json"], {
      home: user.home,
      env,
    });
    expect(JSON.parse(after.stdout)).toEqual({
      account,
      uidl: true,
      new: { count: 0, size: 0 },
      total,
    });
    const afterText = await runApop(["check", tlsUrl(user.name), "--ca", pki.caFile], {
      home: user.home,
      env,
    });
    expect(afterText.stdout).toBe(
      `${account}: no new mail; 3 messages (${total.size} B) on the server\n`,
    );
    expect(afterText.stderr).toBe("");
  });
});

describe("apop capa", () => {
  it("shows capabilities with their meaning, without a password, over implicit TLS", async () => {
    const result = await runApop(
      ["capa", `pop3s://127.0.0.1:${server.tlsPort}`, "--ca", pki.caFile],
      { home: work.dir },
    );
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`server: 127.0.0.1:${server.tlsPort}, TLS (implicit)`);
    expect(lines[1]).toBe("APOP:   offered (the greeting has a timestamp)");
    expect(lines[3]).toMatch(/^CAPABILITY +ARGUMENTS +MEANING$/);
    expect(result.stdout).toMatch(
      /^UIDL +UIDL: unique ids that last across sessions \(RFC 2449 6\.8\)$/m,
    );
    expect(result.stdout).toMatch(
      /^SASL +SCRAM-SHA-256-PLUS SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5 +AUTH with these SASL mechanisms \(RFC 5034\)$/m,
    );
    expect(result.stdout).not.toMatch(/^STLS/m);
  });

  it("as JSON, and over STLS; with --tls none it shows the STLS offer", async () => {
    const json = await runApop(
      ["capa", `pop3://127.0.0.1:${server.port}`, "--ca", pki.caFile, "--json"],
      { home: work.dir },
    );
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      server: string;
      tls: string;
      secure: boolean;
      apop: boolean;
      capabilities: { name: string; arguments: string[]; meaning: string }[];
    };
    expect(parsed).toMatchObject({
      server: `127.0.0.1:${server.port}`,
      tls: "starttls",
      secure: true,
      apop: true,
    });
    expect(parsed.capabilities).toContainEqual({
      name: "USER",
      arguments: [],
      meaning: "USER/PASS login (RFC 2449 6.2)",
    });
    expect(parsed.capabilities.map((c) => c.name)).not.toContain("STLS");

    const clear = await runApop(
      ["capa", `pop://127.0.0.1:${server.port}`, "--tls", "none", "--json"],
      { home: work.dir },
    );
    const names = (JSON.parse(clear.stdout) as typeof parsed).capabilities.map((c) => c.name);
    expect(names).toContain("STLS");
    expect(names).not.toContain("USER");
  });
});

describe("credentials and login methods", () => {
  it("reads the user and password from the file $NETRC names", async () => {
    const messages = [smallMessage(1)];
    const user = work.user(messages);
    const netrc = join(work.dir, `${user.name}.netrc`);
    writeFileSync(
      netrc,
      `# comment\nmachine other.example login x password y\nmachine 127.0.0.1\n  login ${user.name}\n  password "${PASSWORD}"\n`,
      { mode: 0o600 },
    );
    const local = join(work.dir, `${user.name}-Maildir`);
    const result = await runApop(
      ["fetch", `pop3s://127.0.0.1:${server.tlsPort}`, "--ca", pki.caFile, "--maildir", local],
      {
        home: user.home,
        env: { NETRC: netrc },
      },
    );
    expect(result.stderr).toContain("1 new message");
    expect(result.code).toBe(0);
    expect(maildirProblems(local, messages)).toEqual([]);
  });

  it.each([
    ["URL ;AUTH=+APOP", ";AUTH=+APOP", [], "APOP"],
    ["URL ;AUTH=CRAM-MD5", ";AUTH=CRAM-MD5", [], "CRAM-MD5"],
    ["URL ;AUTH=*", ";AUTH=*", [], "SCRAM-SHA-256-PLUS"],
    ["the default (auto, inside TLS)", "", [], "SCRAM-SHA-256-PLUS"],
    ["--auth scram-sha-256", "", ["--auth", "scram-sha-256"], "SCRAM-SHA-256"],
    ["--auth user", "", ["--auth", "user"], "USER"],
    ["--auth plain", "", ["--auth", "plain"], "PLAIN"],
    ["--auth login", "", ["--auth", "login"], "LOGIN"],
    ["--auth apop over the URL's CRAM-MD5", ";AUTH=CRAM-MD5", ["--auth", "apop"], "APOP"],
  ])("logs in with %s", async (_, auth, flags, mechanism) => {
    const user = work.user([smallMessage(1)]);
    const result = await runApop(
      [
        "list",
        `pop3s://${user.name}${auth}@127.0.0.1:${server.tlsPort}`,
        "--ca",
        pki.caFile,
        ...flags,
        "--json",
      ],
      { home: user.home, env },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(server.mechanismsOf(user.name)).toEqual([mechanism]);
  });

  // `script` (util-linux, in Debian's essential bsdutils) gives the program a real terminal.
  it("asks for the password on a terminal without echoing it", async () => {
    const user = work.user([smallMessage(1)]);
    // script(1) gives apop a pseudo-terminal; the password is typed once the prompt shows.
    const command = [MAIN, "list", tlsUrl(user.name), "--ca", pki.caFile]
      .map((a) => `'${a}'`)
      .join(" ");
    const child = spawn("script", ["-qec", `${process.execPath} ${command}`, "/dev/null"], {
      env: { ...process.env, HOME: user.home, APOP_PASSWORD: "", NETRC: join(work.dir, "none") },
    });
    const done = collect(child);
    let seen = "";
    child.stdout.on("data", (data: Buffer) => {
      const before = seen;
      seen += data.toString("utf8");
      if (!before.includes("Password for") && seen.includes("Password for"))
        child.stdin.write(`${PASSWORD}\r`);
    });
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Password for ${user.name}@127.0.0.1: `);
    expect(result.stdout).toContain("1000000000.M0P1Q0.pop.test");
    expect(result.stdout).not.toContain(PASSWORD);
  });

  it("auto never sends the password in clear: without TLS it picks SCRAM-SHA-256", async () => {
    const user = work.user([]);
    const result = await runApop(
      ["list", `pop://${user.name}@127.0.0.1:${server.port}`, "--tls", "none"],
      {
        home: user.home,
        env,
      },
    );
    expect(result.code).toBe(0);
    expect(server.mechanismsOf(user.name)).toEqual(["SCRAM-SHA-256"]);
  });
});

describe("the progress bar", () => {
  /** Runs a fetch on a pseudo-terminal (script(1)), where stderr is a terminal. */
  async function fetchOnTerminal(
    extra: string[],
    moreEnv: Record<string, string>,
  ): Promise<string> {
    const user = work.user([smallMessage(1), bigMessage(256 * 1024, "256 KiB")]);
    const local = join(work.dir, `${user.name}-Maildir`);
    const command = [
      MAIN,
      "fetch",
      tlsUrl(user.name),
      "--ca",
      pki.caFile,
      "--maildir",
      local,
      ...extra,
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    const child = spawn("script", ["-qec", `${process.execPath} ${command}`, "/dev/null"], {
      env: { ...process.env, HOME: user.home, APOP_PASSWORD: PASSWORD, ...moreEnv },
    });
    const result = await collect(child);
    expect(result.code).toBe(0);
    return result.stdout;
  }

  it("is drawn on a terminal, in colour, with messages, bytes and rate", async () => {
    // Escape characters shown as <ESC>, so the pattern needs no control characters.
    const output = (await fetchOnTerminal([], {})).replaceAll("\u001b", "<ESC>");
    expect(output).toMatch(
      /\r<ESC>\[2K\[<ESC>\[32m#+<ESC>\[0m-*\] 2\/2 messages {2}\d+\.\d KiB\/\d+\.\d KiB {2}[\d.]+ [KMG]?i?B\/s/,
    );
    expect(output).toContain("2 new messages");
  });

  it("has no colour with NO_COLOR, and is not drawn with --quiet", async () => {
    const plain = await fetchOnTerminal([], { NO_COLOR: "1" });
    expect(plain).toMatch(/\[#+-*\] 2\/2 messages/);
    expect(plain).not.toContain("\u001b[32m");
    const quiet = await fetchOnTerminal(["--quiet"], {});
    expect(quiet).toBe("");
  });
});

/** The help must fit an 80-column terminal. */
function longestLine(text: string): number {
  return Math.max(...text.split("\n").map((line) => line.length));
}

describe("help and version", () => {
  it("--help lists the commands, the password sources and the exit codes", async () => {
    const result = await runApop(["--help"], { home: work.dir });
    expect(result.code).toBe(0);
    for (const text of [
      "fetch",
      "list",
      "check",
      "capa",
      "APOP_PASSWORD",
      "Exit codes",
      "7 local write error",
    ]) {
      expect(result.stdout).toContain(text);
    }
    expect(longestLine(result.stdout)).toBeLessThanOrEqual(80);
  });

  it.each(["fetch", "list", "check", "capa"])(
    "apop %s --help, the same as apop help <command>",
    async (command) => {
      const viaFlag = await runApop([command, "--help"], { home: work.dir });
      const viaHelp = await runApop(["help", command], { home: work.dir });
      expect(viaFlag.code).toBe(0);
      expect(viaFlag.stdout).toMatch(new RegExp(`^Usage: apop ${command} `));
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
      expect(longestLine(viaFlag.stdout)).toBeLessThanOrEqual(80);
    },
  );

  it("--version prints the package version", async () => {
    const result = await runApop(["--version"], { home: work.dir });
    const { version } = JSON.parse(readFileSync(join(APP_DIR, "package.json"), "utf8")) as {
      version: string;
    };
    expect(result.stdout).toBe(`apop ${version}\n`);
    expect(result.code).toBe(0);
  });
});
