import { createHash } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { connect } from "@apop/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { runCli } from "./helpers/run-cli.ts";
import { ServerProcess } from "./helpers/server-process.ts";

let fixture: Fixture;

beforeAll(() => {
  fixture = createFixture();
});

afterAll(() => fixture?.cleanup());

const addUser = (file: string, name: string, password: string | undefined, ...flags: string[]) =>
  runCli(["add-user", name, "--users", file, ...flags], {
    env: password === undefined ? {} : { APOP_PASSWORD: password },
  });

describe("apop-server add-user", () => {
  it("creates the users file with mode 0600 and a {PLAIN} secret by default", async () => {
    const file = path.join(fixture.dir, "new-users");
    const result = await addUser(file, "alice", "wonderland");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /added user "alice" .*\{PLAIN\}: stored in clear, as APOP and CRAM-MD5 need/,
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).toBe("alice:{PLAIN}wonderland\n");
  });

  it("writes {SSHA512} as Dovecot defines it: base64(SHA512(password + salt) + salt)", async () => {
    const file = path.join(fixture.dir, "hashed-users");
    expect((await addUser(file, "bob", "builder", "--scheme", "ssha512")).code).toBe(0);
    const line = readFileSync(file, "utf8").trim();
    const raw = Buffer.from(/^bob:\{SSHA512\}([A-Za-z0-9+/=]+)$/.exec(line)?.[1] ?? "", "base64");
    expect(raw.length).toBeGreaterThan(64);
    const salt = raw.subarray(64);
    const digest = createHash("sha512").update("builder").update(salt).digest();
    expect(raw.subarray(0, 64)).toEqual(digest);
  });

  it("writes hashes the server checks (USER/PASS with --allow-plaintext-auth)", async () => {
    const file = path.join(fixture.dir, "login-users");
    expect((await addUser(file, "bob", "builder", "--scheme", "SSHA512")).code).toBe(0);
    expect((await addUser(file, "carol", "Grüße 🎉", "--scheme", "SHA512-CRYPT")).code).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(
      /^carol:\{SHA512-CRYPT\}\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/m,
    );
    fixture.addMaildir("bob", []);
    fixture.addMaildir("carol", []);
    const server = await ServerProcess.start([
      "--users",
      file,
      "--maildir-root",
      fixture.maildirRoot,
      "--listen",
      "127.0.0.1:0",
      "--allow-plaintext-auth",
      "--auth-failure-delay",
      "0",
    ]);
    try {
      for (const [user, password] of [
        ["bob", "builder"],
        ["carol", "Grüße 🎉"],
      ] as const) {
        const client = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
        await client.user(user, password);
        await client.quit();
        const wrong = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
        await expect(wrong.user(user, `${password}!`)).rejects.toMatchObject({ code: "auth" });
        await wrong.quit();
      }
    } finally {
      await server.stop();
    }
  });

  it("refuses a name that exists, and replaces it with --force keeping the rest", async () => {
    const file = path.join(fixture.dir, "kept-users");
    writeFileSync(file, "# staff\nalice:{PLAIN}old:1000:1000::/home/alice:\nbob:{PLAIN}builder\n");
    chmodSync(file, 0o640);
    const refused = await addUser(file, "alice", "new");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `apop-server add-user: user "alice" already exists (${file}:2); --force replaces it\n`,
    );
    const forced = await addUser(file, "alice", "new", "--force");
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(
      "# staff\nalice:{PLAIN}new:1000:1000::/home/alice:\nbob:{PLAIN}builder\n",
    );
    // The operator's mode stays (the server warns about it; add-user does not decide).
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it("never takes the password from an argument: without APOP_PASSWORD or a terminal it stops", async () => {
    const file = path.join(fixture.dir, "no-password-users");
    const result = await addUser(file, "alice", undefined);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no password: set APOP_PASSWORD, or run add-user on a terminal/);
    expect(await runCli(["add-user", "alice", "secret", "--users", file])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/unexpected argument "secret"/),
    });
  });

  it("refuses what the users file cannot hold", async () => {
    const file = path.join(fixture.dir, "refused-users");
    const colon = await addUser(file, "alice", "pass:word");
    expect(colon.code).toBe(2);
    expect(colon.stderr).toMatch(/cannot contain ':'.*use --scheme SSHA512/);
    const name = await addUser(file, "bad name", "x");
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/contains a space/);
    const scheme = await addUser(file, "alice", "x", "--scheme", "MD5");
    expect(scheme.stderr).toMatch(/--scheme MD5: expected PLAIN, SSHA512, SHA512-CRYPT/);
  });
});
