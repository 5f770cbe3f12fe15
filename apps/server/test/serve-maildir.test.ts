import { execFileSync } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { apopDigest, type Pop3Client, Pop3Error } from "@apop/core";
import { encodeBase64 } from "@apop/core/internal";
import { connect } from "@apop/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { createFixture, type Fixture, MESSAGES } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

/** Computed with Python's hashlib (salt 10 20 30 40 50 60 70 80), not with our code. */
const BOB_SSHA512 =
  "cd4EdDrTHhZPd815iQiZAW3pKnpck2/jR1u3VSG8ZUuIY5gZtmxwN5DvUo0fPOl33sFOSP5SsZNscGHYjscHyBAgMEBQYHCA";

const PASSWORDS = {
  alice: "wonderland",
  bob: "builder",
  carol: "carol-secret",
  dave: "dave-secret",
};

let fixture: Fixture;
let pki: TestPki;
let server: ServerProcess;
/** Every APOP digest and SASL response a client sent, to prove none reached the logs. */
const sentSecrets: string[] = [];

const usersLines = (): string[] => [
  "# test users",
  `alice:{PLAIN}${PASSWORDS.alice}`,
  "",
  `bob:{SSHA512}${BOB_SSHA512}:1000:1000::/home/bob:/bin/false`,
  // Made by the openssl CLI, an implementation independent of ours.
  `carol:{SHA512-CRYPT}${execFileSync("openssl", ["passwd", "-6", "-salt", "carolsalt", PASSWORDS.carol]).toString().trim()}`,
  `dave:{CLEARTEXT}${PASSWORDS.dave}`,
];

beforeAll(async () => {
  fixture = createFixture();
  pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
  fixture.writeUsers(usersLines());
  for (const user of ["alice", "bob", "carol"]) fixture.addMaildir(user);
  // dave's Maildir is broken: cur/ is a file (as root, chmod 000 would not stop us).
  const dave = fixture.addMaildir("dave", []);
  rmSync(path.join(dave, "cur"), { recursive: true });
  writeFileSync(path.join(dave, "cur"), "not a directory");
  // Relative paths in the config file resolve against its folder.
  const config = fixture.writeServerConfig({
    tlsListen: ["127.0.0.1:0"],
    tls: { cert: pki.certFile, key: pki.keyFile },
    logLevel: "debug",
  });
  server = await ServerProcess.start(["--config", config]);
});

afterAll(async () => {
  await server?.stop();
  fixture?.cleanup();
});

async function clear(): Promise<Pop3Client> {
  return connect({ host: "127.0.0.1", port: server.port("starttls"), tls: "none" });
}

async function starttls(): Promise<Pop3Client> {
  return connect({ host: "127.0.0.1", port: server.port("starttls"), tls: "starttls", ca: pki.ca });
}

async function implicit(): Promise<Pop3Client> {
  return connect({ host: "127.0.0.1", port: server.port("implicit"), tls: "implicit", ca: pki.ca });
}

async function apop(client: Pop3Client, user: string, secret: string): Promise<void> {
  const timestamp = client.greeting.timestamp as string;
  sentSecrets.push(apopDigest({ timestamp, secret }));
  await client.apop(user, secret);
}

/** Every message, byte for byte, and LIST sizes that match what arrives. */
async function expectMailbox(client: Pop3Client): Promise<void> {
  const listing = await client.list();
  expect(listing.map((entry) => entry.size)).toEqual(MESSAGES.map((m) => m.arrives.length));
  for (const [i, message] of MESSAGES.entries()) {
    expect(Buffer.from(await client.retrBytes(i + 1)), message.name).toEqual(message.arrives);
  }
}

async function expectPop3Error(promise: Promise<unknown>, code: string): Promise<Pop3Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(Pop3Error.isInstance(error), String(error)).toBe(true);
  expect((error as Pop3Error).code).toBe(code);
  return error as Pop3Error;
}

describe("apop-server started with a config file and a users file", () => {
  it("logs every listener with its bound port and how it does TLS", () => {
    expect(server.port("starttls")).toBeGreaterThan(0);
    expect(server.port("implicit")).toBeGreaterThan(0);
    expect(server.nonJsonLines).toEqual([]);
  });

  it("serves a Maildir over APOP in clear, every message byte for byte", async () => {
    const client = await clear();
    expect(client.secure).toBe(false);
    await apop(client, "alice", PASSWORDS.alice);
    await expectMailbox(client);
    await client.quit();
  });

  it("accepts CRAM-MD5 in clear for a user with a clear secret", async () => {
    const client = await clear();
    await client.login({ user: "alice", password: PASSWORDS.alice, method: "cram-md5" });
    expect((await client.stat()).count).toBe(MESSAGES.length);
    await client.quit();
  });

  it("refuses USER/PASS in clear, even with the right password", async () => {
    const client = await clear();
    const error = await expectPop3Error(client.user("alice", PASSWORDS.alice), "auth");
    expect(error.serverText).toMatch(/plaintext/i);
    await client.quit();
  });

  it("accepts USER/PASS after STLS", async () => {
    const client = await starttls();
    expect(client.secure).toBe(true);
    await client.user("alice", PASSWORDS.alice);
    await expectMailbox(client);
    await client.quit();
  });

  it("serves over implicit TLS", async () => {
    const client = await implicit();
    expect(client.secure).toBe(true);
    const response = encodeBase64(Buffer.from(`\0alice\0${PASSWORDS.alice}`));
    sentSecrets.push(response);
    await client.login({ user: "alice", password: PASSWORDS.alice, method: "plain" });
    await expectMailbox(client);
    await client.quit();
  });

  it("checks {SSHA512} and {SHA512-CRYPT} passwords (USER/PASS over TLS)", async () => {
    for (const user of ["bob", "carol"] as const) {
      const client = await implicit();
      await client.user(user, PASSWORDS[user]);
      expect((await client.stat()).count).toBe(MESSAGES.length);
      await client.quit();
    }
  });

  it("fails APOP for a hashed user exactly like a wrong digest", async () => {
    const hashed = await clear();
    const hashedError = await expectPop3Error(apop(hashed, "bob", PASSWORDS.bob), "auth");
    await hashed.quit();
    const wrong = await clear();
    const wrongError = await expectPop3Error(apop(wrong, "alice", "not-the-password"), "auth");
    await wrong.quit();
    const nobody = await clear();
    const nobodyError = await expectPop3Error(apop(nobody, "nobody", "whatever"), "auth");
    await nobody.quit();
    expect(hashedError.serverText).toBe(wrongError.serverText);
    expect(nobodyError.serverText).toBe(wrongError.serverText);
  });

  it("answers a wrong password with [AUTH] and logs the failure with its mechanism", async () => {
    const client = await starttls();
    await expectPop3Error(client.user("carol", "wrong"), "auth");
    await client.quit();
    const record = await server.waitForLog(
      (r) => r.event === "auth-failed" && r.user === "carol" && r.mechanism === "USER",
    );
    expect(record.reason).toBe("auth");
  });

  it("answers -ERR [SYS/PERM] for a broken Maildir and stays up", async () => {
    const client = await clear();
    await expectPop3Error(apop(client, "dave", PASSWORDS.dave), "sys-perm");
    await client.quit();
    const next = await clear();
    await apop(next, "alice", PASSWORDS.alice);
    await next.quit();
  });

  it("logs each disconnect with its reason, command counts and octets", async () => {
    const client = await clear();
    await apop(client, "alice", PASSWORDS.alice);
    await client.retrBytes(1);
    await client.quit();
    const record = await server.waitForLog(
      (r) =>
        r.event === "disconnect" &&
        r.user === "alice" &&
        (r.commands as Record<string, number>).RETR === 1 &&
        r.messagesSent === 1,
    );
    expect(record).toMatchObject({
      reason: "quit",
      secure: false,
      messageOctets: MESSAGES[0]?.arrives.length,
      commands: { APOP: 1, RETR: 1, QUIT: 1 },
    });
    expect(record.bytesOut as number).toBeGreaterThan(MESSAGES[0]?.arrives.length as number);
  });

  it("reloads the users file on SIGHUP without dropping a session", async () => {
    const open = await clear();
    await apop(open, "alice", PASSWORDS.alice);
    fixture.addMaildir("frank", MESSAGES.slice(0, 1));
    fixture.writeUsers([...usersLines(), "frank:{PLAIN}frank-secret"]);
    const reloads = server.logs.filter((r) => r.event === "users-reloaded").length;
    server.signal("SIGHUP");
    await server.waitForCount((r) => r.event === "users-reloaded", reloads + 1);

    const frank = await clear();
    await apop(frank, "frank", "frank-secret");
    expect((await frank.stat()).count).toBe(1);
    await frank.quit();
    // The session opened before the reload carries on.
    expect((await open.stat()).count).toBe(MESSAGES.length);
    await open.quit();
  });

  it("keeps the old users when the reloaded file is bad, and logs the line", async () => {
    fixture.writeUsers(["# broken", "frank:{MD5}0123456789abcdef0123456789abcdef"]);
    server.signal("SIGHUP");
    const record = await server.waitForLog((r) => r.event === "users-reload-failed");
    expect(String(record.problems)).toContain(
      `${fixture.usersFile}:2: unknown password scheme {MD5}`,
    );
    const frank = await clear();
    await apop(frank, "frank", "frank-secret");
    await frank.quit();
  });

  it("never logs a password, an APOP digest or a SASL response", async () => {
    // The debug level logs every command; the other tests above have sent all of these.
    expect(server.logs.some((r) => r.event === "command")).toBe(true);
    expect(sentSecrets.length).toBeGreaterThan(5);
    for (const secret of [
      ...Object.values(PASSWORDS),
      "frank-secret",
      "not-the-password",
      ...sentSecrets,
    ]) {
      expect(server.stdout).not.toContain(secret);
      expect(server.stderr).not.toContain(secret);
    }
  });
});

describe("apop-server on SIGTERM", () => {
  it("lets an open session finish, then exits 0", async () => {
    const own = createFixture();
    try {
      own.writeUsers(["alice:{PLAIN}wonderland"]);
      chmodSync(own.usersFile, 0o644);
      own.addMaildir("alice");
      const running = await ServerProcess.start([...own.serverArgs()]);
      // A users file others can read is served, with a warning in the log.
      expect(running.logs.find((r) => r.event === "config-warning")?.message).toMatch(
        /can be read by group or others \(mode 0644\)/,
      );
      const client = await connect({ host: "127.0.0.1", port: running.port("none"), tls: "none" });
      await client.apop("alice", "wonderland");
      running.signal("SIGTERM");
      await running.waitForLog((r) => r.event === "shutdown-started" && r.connections === 1);
      // Within the grace period the session still works, and QUIT commits as usual.
      await client.dele(1);
      await client.quit();
      expect(await running.exited).toEqual({ code: 0, signal: null });
      expect(running.logs.map((r) => r.event)).toContain("shutdown");
      expect(running.logs.find((r) => r.event === "update")).toMatchObject({
        deleted: 1,
        ok: true,
      });
    } finally {
      own.cleanup();
    }
  });
});
