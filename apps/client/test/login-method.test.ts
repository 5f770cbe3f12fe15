// The login method apop chooses: SCRAM first over TLS, one fallback to PLAIN after a
// challenge-response [AUTH] (a user stored as a hash), and the method that worked remembered
// per account in the state file, like the TLS latch (RFC 8314 section 5.2).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { perFile, perFileTestPki } from "@apop/vitest-preset/per-file";
import { describe, expect, it } from "vitest";
import { smallMessage } from "./helpers/messages.ts";
import { runApop } from "./helpers/run-apop.ts";
import { PASSWORD, startServer } from "./helpers/server.ts";
import { createWorkspace } from "./helpers/workspace.ts";

const pki = perFileTestPki();
const work = perFile(createWorkspace, (workspace) => workspace.cleanup());
const server = perFile(
  () =>
    startServer({
      root: work.root,
      pki,
      hashed: (user) => user !== "user1",
      tokenValidator: async ({ token }) =>
        token === "t0k3n"
          ? { ok: true }
          : { ok: false, status: "invalid_token", reason: "unknown token" },
    }),
  (started) => started.close(),
);
const env = { APOP_PASSWORD: PASSWORD };

const list = (user: { name: string; home: string }, ...flags: string[]) =>
  runApop(
    ["list", `pop3s://${user.name}@127.0.0.1:${server.tlsPort}`, "--ca", pki.caFile, ...flags],
    { home: user.home, env },
  );

const stateOf = (home: string): { login?: string; tls: boolean } => {
  const directory = join(home, "state", "apop");
  const file = readdirSync(directory).find((name) => name.endsWith(".json")) as string;
  return JSON.parse(readFileSync(join(directory, file), "utf8"));
};

describe("the login method (auto)", () => {
  it("logs a user with a clear secret in with SCRAM-SHA-256-PLUS and remembers it", async () => {
    const user = work.user([smallMessage(1)]);
    expect(user.name).toBe("user1");
    const result = await list(user);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(server.mechanismsOf(user.name)).toEqual(["SCRAM-SHA-256-PLUS"]);
    expect(stateOf(user.home)).toMatchObject({ login: "scram-sha-256-plus", tls: true });
  });

  it("falls back to PLAIN once after SCRAM's [AUTH], then goes straight to PLAIN next time", async () => {
    const user = work.user([smallMessage(1)]);
    const first = await list(user);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(server.mechanismsOf(user.name)).toEqual(["SCRAM-SHA-256-PLUS", "PLAIN"]);
    expect(stateOf(user.home)).toMatchObject({ login: "plain", tls: true });
    const second = await list(user);
    expect(second.code).toBe(0);
    expect(server.mechanismsOf(user.name)).toEqual(["SCRAM-SHA-256-PLUS", "PLAIN", "PLAIN"]);
  });

  it("--auth forces one method: no fallback", async () => {
    const user = work.user([smallMessage(1)]);
    const result = await list(user, "--auth", "cram-md5");
    expect(result.code).toBe(4);
    expect(server.mechanismsOf(user.name)).toEqual(["CRAM-MD5"]);
  });
});

describe("--auth oauthbearer and xoauth2", () => {
  it("takes the token from APOP_OAUTH_TOKEN", async () => {
    const user = work.user([smallMessage(1)]);
    const result = await runApop(
      [
        "list",
        `pop3s://${user.name}@127.0.0.1:${server.tlsPort}`,
        "--ca",
        pki.caFile,
        "--auth",
        "oauthbearer",
      ],
      { home: user.home, env: { APOP_OAUTH_TOKEN: "t0k3n" } },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(server.mechanismsOf(user.name)).toEqual(["OAUTHBEARER"]);
  });

  it("takes the token from --oauth-token-command, and a refused one is exit 4", async () => {
    const user = work.user([smallMessage(1)]);
    const args = (command: string) => [
      "list",
      `pop3s://${user.name};AUTH=XOAUTH2@127.0.0.1:${server.tlsPort}`,
      "--ca",
      pki.caFile,
      "--oauth-token-command",
      command,
    ];
    const good = await runApop(args("echo t0k3n"), { home: user.home, env: {} });
    expect(good.stderr).toBe("");
    expect(good.code).toBe(0);
    const bad = await runApop(args("echo wrong"), { home: user.home, env: {} });
    expect(bad.code).toBe(4);
    expect(server.mechanismsOf(user.name)).toEqual(["XOAUTH2", "XOAUTH2"]);
  });

  it("without a token says where to put one (exit 2), never asking for it on argv", async () => {
    const user = work.user([smallMessage(1)]);
    const result = await runApop(
      ["list", `pop3s://${user.name}@127.0.0.1:${server.tlsPort}`, "--auth", "xoauth2"],
      { home: user.home, env: {} },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/APOP_OAUTH_TOKEN or pass --oauth-token-command/);
  });
});

describe("the server's language (RFC 6856 LANG)", () => {
  const wrong = (
    user: { name: string; home: string },
    flags: string[],
    env: Record<string, string>,
  ) =>
    runApop(
      ["list", `pop3s://${user.name}@127.0.0.1:${server.tlsPort}`, "--ca", pki.caFile, ...flags],
      { home: user.home, env: { APOP_PASSWORD: "wrong", ...env } },
    );

  it("--lang picks the first language the server lists, after UTF8: its texts come in German", async () => {
    const user = work.user([smallMessage(1)]);
    const result = await wrong(user, ["--lang", "fr,de-CH,en", "--auth", "plain"], {});
    expect(result.code).toBe(4);
    expect(result.stderr).toContain("Anmeldung fehlgeschlagen");
  });

  it("without --lang, the locale decides (LANG=de_DE.UTF-8); C asks for nothing", async () => {
    const user = work.user([smallMessage(1)]);
    const german = await wrong(user, ["--auth", "plain"], { LANG: "de_DE.UTF-8" });
    expect(german.stderr).toContain("Anmeldung fehlgeschlagen");
    const plain = await wrong(user, ["--auth", "plain"], { LANG: "C" });
    expect(plain.stderr).toContain("Authentication failed");
  });
});
