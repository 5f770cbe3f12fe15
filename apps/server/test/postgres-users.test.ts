// Users in a real PostgreSQL 15 (started by the test as the postgres account): the query
// takes the user name as a bind parameter, the stored secret may be in any scheme, and a
// database that is down or slow gives -ERR [SYS/TEMP], never a crash or an accepted login.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatStoredPassword } from "../src/users/password-scheme.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { LineClient } from "./helpers/line-client.ts";
import { TestPostgres } from "./helpers/postgres.ts";
import { ServerProcess } from "./helpers/server-process.ts";

let fixture: Fixture;
let postgres: TestPostgres;
let server: ServerProcess;

const stored = (scheme: "PLAIN" | "SSHA512" | "SHA512-CRYPT", password: string): string =>
  formatStoredPassword({ scheme, password, randomBytes: (n) => new Uint8Array(randomBytes(n)) });

beforeAll(async () => {
  fixture = createFixture();
  for (const user of ["alice", "bob", "carol"]) fixture.addMaildir(user);
  postgres = await TestPostgres.start();
  const sql = await postgres.client();
  await sql.query("CREATE TABLE mail_users (login text PRIMARY KEY, secret text NOT NULL)");
  await sql.query("INSERT INTO mail_users VALUES ($1, $2), ($3, $4), ($5, $6)", [
    "alice",
    stored("PLAIN", "wonderland"),
    "bob",
    stored("SSHA512", "builder"),
    "carol",
    stored("SHA512-CRYPT", "c4rol"),
  ]);
  await sql.end();
  server = await ServerProcess.start([
    "--listen",
    "127.0.0.1:0",
    "--maildir-root",
    fixture.maildirRoot,
    "--allow-plaintext-auth",
    "--auth-failure-delay",
    "0",
    "--postgres-url",
    postgres.url,
    "--postgres-query",
    "SELECT secret AS password FROM mail_users WHERE login = $1",
    "--postgres-connect-timeout-seconds",
    "1",
    "--postgres-statement-timeout-seconds",
    "1",
  ]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await postgres?.stop();
  fixture?.cleanup();
});

/** USER/PASS through a fresh connection; the PASS status line. */
async function login(user: string, password: string): Promise<string | null> {
  const client = await LineClient.connect({ port: server.port("none") });
  await client.line();
  await client.command(`USER ${user}`);
  const status = await client.command(`PASS ${password}`);
  await client.command("QUIT");
  client.destroy();
  return status;
}

describe("PostgreSQL user source", () => {
  it("logs in users whose secrets are stored as PLAIN, SSHA512 and SHA512-CRYPT", async () => {
    expect(await login("alice", "wonderland")).toMatch(/^\+OK/);
    expect(await login("bob", "builder")).toMatch(/^\+OK/);
    expect(await login("carol", "c4rol")).toMatch(/^\+OK/);
    expect(server.logs.find((r) => r.event === "started")).toMatchObject({
      userSource: "postgres",
      postgres: postgres.url,
    });
  });

  it("refuses a wrong password, an unknown user and SQL in the user name alike: -ERR [AUTH]", async () => {
    expect(await login("bob", "wonderland")).toMatch(/^-ERR \[AUTH\]/);
    expect(await login("mallory", "x")).toMatch(/^-ERR \[AUTH\]/);
    // Interpolated, this would be alice's row; bound as $1 it is just a name nobody has.
    expect(await login("alice'--", "wonderland")).toMatch(/^-ERR \[AUTH\]/);
  });

  it("answers -ERR [SYS/TEMP] while the table is locked (a slow database), then recovers", async () => {
    const blocker = await postgres.client();
    await blocker.query("BEGIN");
    await blocker.query("LOCK TABLE mail_users IN ACCESS EXCLUSIVE MODE");
    expect(await login("alice", "wonderland")).toMatch(/^-ERR \[SYS\/TEMP\]/);
    await blocker.query("COMMIT");
    await blocker.end();
    expect(await login("alice", "wonderland")).toMatch(/^\+OK/);
    expect(
      server.logs.some(
        (r) =>
          r.event === "user-source-error" && /statement timeout|timeout/i.test(String(r.error)),
      ),
    ).toBe(true);
  });

  it("answers -ERR [SYS/TEMP] while the database is down, keeps serving, and recovers when it is back", async () => {
    await postgres.halt();
    expect(await login("alice", "wonderland")).toMatch(/^-ERR \[SYS\/TEMP\]/);
    expect(await login("bob", "builder")).toMatch(/^-ERR \[SYS\/TEMP\]/);
    await postgres.resume();
    expect(await login("alice", "wonderland")).toMatch(/^\+OK/);
    expect(server.logs.some((r) => r.event === "auth-ok" && r.user === "bob")).toBe(true);
    // Never a crash: the same process served everything.
    expect(server.logs.filter((r) => r.event === "started")).toHaveLength(1);
  });
});
