import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { appDir } from "./helpers/built-server.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { type CliResult, runCli } from "./helpers/run-cli.ts";

let fixture: Fixture;
let pki: TestPki;

beforeAll(() => {
  fixture = createFixture();
  pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
  fixture.writeUsers(["alice:{PLAIN}wonderland"]);
  fixture.addMaildir("alice");
});

afterAll(() => fixture?.cleanup());

/** A failure the operator can act on: exit 2, only our lines, no stack trace. */
function expectConfigFailure(result: CliResult): string[] {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe("");
  return result.stderr.trimEnd().split("\n");
}

const base = (): string[] => ["--users", fixture.usersFile, "--maildir-root", fixture.maildirRoot];

describe("--help and --version", () => {
  it("prints the usage with every flag and its environment variable", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const flag of [
      "--listen",
      "--tls-listen",
      "--tls-cert",
      "--users",
      "--maildir-root",
      "--user",
      "--allow-plaintext-auth",
      "--log-level",
      "--idle-timeout",
      "--max-connections-per-address",
      "--auth-failure-delay",
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain("APOP_SERVER_MAILDIR_ROOT");
    expect(result.stdout).toMatch(/Exit codes: 0 ok/);
  });

  it.each([
    [["--help"], /^apop-server \S+: a POP3 server/],
    [["add-user", "--help"], /^Usage: apop-server add-user NAME --users FILE/],
    [["help", "add-user"], /^Usage: apop-server add-user NAME --users FILE/],
    [["check-config", "--help"], /^Usage: apop-server check-config/],
    [["help", "check-config"], /^Usage: apop-server check-config/],
  ])("%j prints that help, within 80 columns", async (args, start) => {
    const result = await runCli(args);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(start);
    expect(Math.max(...result.stdout.split("\n").map((line) => line.length))).toBeLessThanOrEqual(
      80,
    );
  });

  it("prints the version of package.json", async () => {
    const { version } = JSON.parse(readFileSync(path.join(appDir, "package.json"), "utf8"));
    expect(await runCli(["--version"])).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it("refuses an unknown flag, a missing value and a stray argument with exit 2", async () => {
    expect(expectConfigFailure(await runCli(["--bogus"]))).toEqual([
      "apop-server: unknown option --bogus (see apop-server --help)",
    ]);
    expect(expectConfigFailure(await runCli(["--listen"]))[0]).toMatch(/--listen needs a value/);
    expect(expectConfigFailure(await runCli(["serve"]))[0]).toMatch(/unknown command "serve"/);
  });
});

describe("bad configuration", () => {
  it("lists every problem by path, with where the value came from, and exits 2", async () => {
    const config = fixture.writeConfig(
      {
        listen: { port: 70000 },
        tlsListen: ["::1:995"],
        limits: { maxConnections: 0, bogus: 1 },
        logLevel: "loud",
        allowPlaintextAuth: "yes",
      },
      "bad.json",
    );
    const result = await runCli(["--config", config, "--auth-failures", "many"], {
      env: { APOP_SERVER_IDLE_TIMEOUT: "60" },
    });
    const lines = expectConfigFailure(result);
    expect(lines).toEqual(
      expect.arrayContaining([
        `config: listen.port: expected a port number from 0 to 65535 (0 picks a free port) (from ${config})`,
        `config: tlsListen[0]: "::1:995": an IPv6 address goes in brackets, as in [::1]:110 (from ${config})`,
        `config: users: required: set --users, APOP_SERVER_USERS or "users" in the config file`,
        `config: maildirRoot: required: set --maildir-root, APOP_SERVER_MAILDIR_ROOT or "maildirRoot" in the config file`,
        `config: allowPlaintextAuth: expected true or false (from ${config})`,
        `config: logLevel: expected debug, info, warn or error (from ${config})`,
        `config: limits.idleTimeoutSeconds: expected a whole number of at least 600 (RFC 1939 section 3: the autologout timer is at least 10 minutes) (from APOP_SERVER_IDLE_TIMEOUT)`,
        `config: limits.maxConnections: expected a whole number of at least 1 (from ${config})`,
        "config: limits.authFailures: expected a whole number of at least 1 (from --auth-failures)",
        `config: limits.bogus: unknown setting (from ${config})`,
      ]),
    );
    expect(lines).toHaveLength(10);
  });

  it("names a config file that is not JSON", async () => {
    const config = fixture.writeConfig("{ listen: ", "broken.json");
    const lines = expectConfigFailure(await runCli(["--config", config]));
    expect(lines[0]).toMatch(new RegExp(`^config: ${config} is not valid JSON`));
  });

  it("needs a listener, and a certificate for implicit TLS", async () => {
    const lines = expectConfigFailure(await runCli(["check-config", ...base()]));
    expect(lines).toEqual([
      "config: listen: no listener: give --listen HOST:PORT or --tls-listen HOST:PORT",
    ]);
    const tls = expectConfigFailure(
      await runCli(["check-config", ...base(), "--tls-listen", "127.0.0.1:0"]),
    );
    expect(tls).toEqual([
      "config: tlsListen: implicit TLS needs a certificate: give --tls-cert FILE and --tls-key FILE (from --tls-listen)",
    ]);
  });

  it("names the file and line of every bad users-file entry", async () => {
    const users = path.join(fixture.dir, "bad-users");
    writeFileSync(
      users,
      [
        "# comment",
        "good:{PLAIN}secret",
        "nopassword",
        "",
        "weird:{MD5}abc",
        "good:{PLAIN}again",
        ".hidden:{PLAIN}x",
        "short:{SSHA512}AAAA",
        "bare:secret",
      ].join("\n"),
      { mode: 0o600 },
    );
    const lines = expectConfigFailure(
      await runCli([
        "--users",
        users,
        "--maildir-root",
        fixture.maildirRoot,
        "--listen",
        "127.0.0.1:0",
      ]),
    );
    expect(lines).toEqual([
      `users: ${users}:3: user "nopassword" has no password field`,
      `users: ${users}:5: unknown password scheme {MD5} (apop-server reads PLAIN, CLEARTEXT, SSHA512, SHA512-CRYPT and SCRAM-SHA-256)`,
      `users: ${users}:6: user "good" is already defined on line 2`,
      `users: ${users}:7: user name ".hidden" cannot be a Maildir folder: invalid user name: starts with a dot`,
      `users: ${users}:8: {SSHA512}: too short: expected a 64-byte SHA-512 digest followed by a salt`,
      `users: ${users}:9: the password has no {SCHEME} prefix (write {PLAIN}secret, or use add-user)`,
    ]);
  });

  it("refuses certificate and key files that cannot be used", async () => {
    const notPem = path.join(fixture.dir, "not-a-cert.pem");
    writeFileSync(notPem, "hello\n");
    const missing = path.join(fixture.dir, "missing.key");
    const lines = expectConfigFailure(
      await runCli([
        "check-config",
        ...base(),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        notPem,
        "--tls-key",
        missing,
      ]),
    );
    expect(lines).toEqual([
      `tls.key: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'`,
    ]);
    const swapped = expectConfigFailure(
      await runCli([
        "check-config",
        ...base(),
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        pki.keyFile,
        "--tls-key",
        pki.certFile,
      ]),
    );
    expect(swapped).toEqual([
      `tls.cert: ${pki.keyFile} holds no PEM certificate`,
      `tls.key: ${pki.certFile} holds no PEM private key`,
    ]);
  });

  it("refuses a Maildir root that does not exist", async () => {
    const missing = path.join(fixture.dir, "no-such-dir");
    const lines = expectConfigFailure(
      await runCli([
        "check-config",
        "--users",
        fixture.usersFile,
        "--maildir-root",
        missing,
        "--listen",
        "127.0.0.1:0",
      ]),
    );
    expect(lines).toEqual([
      `maildirRoot: ${missing}: ENOENT: no such file or directory, stat '${missing}'`,
    ]);
  });

  it("refuses an APOP host name with '@', which no greeting could carry (issue 10, bug 1)", async () => {
    const lines = expectConfigFailure(
      await runCli([
        "check-config",
        ...base(),
        "--listen",
        "127.0.0.1:0",
        "--hostname",
        "mail@example.org",
      ]),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/hostname.*'@'/);
  });
});

describe("check-config", () => {
  it("prints OK with a summary and exits 0 for a good configuration", async () => {
    const result = await runCli([
      "check-config",
      ...base(),
      "--listen",
      "127.0.0.1:110",
      "--tls-listen",
      "[::1]:995",
      "--tls-cert",
      pki.certFile,
      "--tls-key",
      pki.keyFile,
    ]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      `OK: 1 users (1 with a clear secret for APOP), listeners 127.0.0.1:110 (STLS), [::1]:995 (implicit TLS), Maildirs in ${fixture.maildirRoot}\n`,
    );
  });

  it("warns when the users file can be read by others", async () => {
    const users = path.join(fixture.dir, "open-users");
    writeFileSync(users, "alice:{PLAIN}wonderland\n");
    chmodSync(users, 0o644);
    const result = await runCli([
      "check-config",
      "--users",
      users,
      "--maildir-root",
      fixture.maildirRoot,
      "--listen",
      "*:0",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `warning: users: ${users} can be read by group or others (mode 0644); run chmod 600 on it`,
    );
  });

  it("takes the config file, then the environment, then the flags", async () => {
    const config = fixture.writeConfig(
      { listen: "127.0.0.1:1111", users: "users", maildirRoot: "mail" },
      "layers.json",
    );
    const listeners = async (args: string[], env: Record<string, string>): Promise<string> => {
      const result = await runCli(["check-config", "--config", config, ...args], { env });
      expect(result.code, result.stderr).toBe(0);
      return /listeners (.*), Maildirs/.exec(result.stdout)?.[1] ?? "";
    };
    expect(await listeners([], {})).toBe("127.0.0.1:1111 (no TLS)");
    const env = { APOP_SERVER_LISTEN: "127.0.0.1:2222,[::1]:2223" };
    expect(await listeners([], env)).toBe("127.0.0.1:2222 (no TLS), [::1]:2223 (no TLS)");
    expect(await listeners(["--listen", "127.0.0.1:3333"], env)).toBe("127.0.0.1:3333 (no TLS)");
    // APOP_SERVER_CONFIG names the file as --config does.
    const viaEnv = await runCli(["check-config"], { env: { APOP_SERVER_CONFIG: config } });
    expect(viaEnv.stdout).toMatch(/^OK: /);
  });

  it("reports unknown APOP_SERVER_ variables as warnings", async () => {
    const result = await runCli(["check-config", ...base(), "--listen", "127.0.0.1:0"], {
      env: { APOP_SERVER_LISTNE: "127.0.0.1:1" },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "warning: environment: APOP_SERVER_LISTNE is not a setting of apop-server; ignored",
    );
  });
});
