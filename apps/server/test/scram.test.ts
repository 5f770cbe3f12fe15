// SCRAM-SHA-256 on apop-server with users whose keys Dovecot's own `doveadm pw` made, proven
// with our client and with GNU SASL's `gsasl` as an independent client, and `add-user
// --scheme SCRAM-SHA-256` checked by `doveadm pw -t`.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as net from "node:net";
import path from "node:path";
import { Pop3Error } from "@apop/core";
import { connect } from "@apop/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { runCli } from "./helpers/run-cli.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const UNICODE_PASSWORD = "pässwörd-Ünïcödé";
const doveadm = (password: string): string =>
  execFileSync("doveadm", ["pw", "-s", "SCRAM-SHA-256", "-p", password]).toString().trim();

let fixture: Fixture;
let pki: TestPki;
let server: ServerProcess;

beforeAll(async () => {
  fixture = createFixture();
  pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
  fixture.writeUsers([`scram:${doveadm("pencil")}`, `uni:${doveadm(UNICODE_PASSWORD)}`]);
  for (const user of ["scram", "uni"]) fixture.addMaildir(user);
  const config = fixture.writeServerConfig({ tls: { cert: pki.certFile, key: pki.keyFile } });
  server = await ServerProcess.start(["--config", config]);
});

afterAll(async () => {
  await server?.stop();
  fixture?.cleanup();
});

const clear = () => connect({ host: "127.0.0.1", port: server.port("starttls"), tls: "none" });

describe("SCRAM-SHA-256 users made by doveadm", () => {
  it("offers SCRAM but neither CRAM-MD5 nor an APOP timestamp: no user has a clear secret", async () => {
    const client = await clear();
    expect(client.greeting.timestamp).toBeNull();
    expect((await client.capa())?.get("SASL")).toEqual(["SCRAM-SHA-256"]);
    await client.quit();
  });

  it.each([
    ["scram", "pencil"],
    ["uni", UNICODE_PASSWORD],
  ])("%s logs in with SCRAM-SHA-256 in clear, and with -PLUS over STLS", async (user, password) => {
    const client = await clear();
    await client.login({ user, password });
    await client.quit();
    const tls = await connect({
      host: "127.0.0.1",
      port: server.port("starttls"),
      tls: "starttls",
      ca: pki.ca,
    });
    await tls.login({ user, password });
    await tls.quit();
    const mechanisms = server.logs
      .filter((record) => record.event === "auth-ok" && record.user === user)
      .map((record) => record.mechanism);
    expect(mechanisms.slice(-2)).toEqual(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]);
  });

  it("a SCRAM user logs in with PLAIN and USER/PASS over TLS", async () => {
    for (const method of ["plain", "user"] as const) {
      const client = await connect({
        host: "127.0.0.1",
        port: server.port("starttls"),
        tls: "starttls",
        ca: pki.ca,
      });
      await client.login({ user: "scram", password: "pencil", method });
      await client.quit();
    }
  });

  it("a wrong SCRAM password is an [AUTH] failure, logged with the mechanism", async () => {
    const client = await clear();
    const error = await client.login({ user: "scram", password: "pencil?" }).catch((e) => e);
    expect(Pop3Error.isInstance(error) && error.responseCode).toBe("AUTH");
    await client.quit();
    await server.waitForLog(
      (record) =>
        record.event === "auth-failed" &&
        record.user === "scram" &&
        record.mechanism === "SCRAM-SHA-256",
    );
  });
});

/**
 * Relays GNU SASL's client (stdin/stdout, base64 lines) over a POP3 connection: its first
 * line goes on the AUTH line, each `+ ` challenge goes to it, each answer back.
 */
async function gsaslLogin(user: string, password: string): Promise<string> {
  const gsasl = spawn(
    "gsasl",
    ["--client", "--mechanism", "SCRAM-SHA-256", "-a", user, "-p", password, "--quiet", "--no-cb"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const fromGsasl = lines(gsasl.stdout);
  const socket = net.connect(server.port("starttls"), "127.0.0.1");
  const fromServer = lines(socket);
  try {
    expect(await fromServer.next()).toMatch(/^\+OK/);
    expect(await fromGsasl.next()).toBe("SCRAM-SHA-256");
    socket.write(`AUTH SCRAM-SHA-256 ${await fromGsasl.next()}\r\n`);
    for (;;) {
      const line = await fromServer.next();
      if (!line.startsWith("+ ")) {
        socket.write("QUIT\r\n");
        return line;
      }
      gsasl.stdin.write(`${line.slice(2)}\n`);
      socket.write(`${await fromGsasl.next()}\r\n`);
    }
  } finally {
    socket.destroy();
    gsasl.kill();
  }
}

function lines(stream: NodeJS.ReadableStream): { next(): Promise<string> } {
  let buffer = "";
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  stream.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    for (let at = buffer.indexOf("\n"); at !== -1; at = buffer.indexOf("\n")) {
      const line = buffer.slice(0, at).replace(/\r$/, "");
      buffer = buffer.slice(at + 1);
      const resolve = waiting.shift();
      if (resolve) resolve(line);
      else ready.push(line);
    }
  });
  return {
    next: () => {
      const line = ready.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe("GNU SASL (gsasl) as an independent SCRAM-SHA-256 client", () => {
  it("logs in with the right password, checking our server signature on the way", async () => {
    expect(await gsaslLogin("scram", "pencil")).toMatch(/^\+OK/);
    expect(await gsaslLogin("uni", UNICODE_PASSWORD)).toMatch(/^\+OK/);
  });

  it("is refused with [AUTH] for a wrong password", async () => {
    expect(await gsaslLogin("scram", "wrong")).toMatch(/^-ERR \[AUTH\]/);
  });
});

describe("add-user --scheme SCRAM-SHA-256", () => {
  it("writes a line that doveadm pw -t accepts for the password, and refuses for another", async () => {
    const file = path.join(fixture.dir, "scram-users");
    const result = await runCli(["add-user", "new", "--users", file, "--scheme", "SCRAM-SHA-256"], {
      env: { APOP_PASSWORD: UNICODE_PASSWORD },
    });
    expect(result.code, result.stderr).toBe(0);
    const field = /^new:(\{SCRAM-SHA-256\}4096,[^:\n]+)$/m.exec(readFileSync(file, "utf8"))?.[1];
    expect(field).toBeDefined();
    const check = (password: string) =>
      execFileSync("doveadm", ["pw", "-t", field as string, "-p", password], {
        stdio: "pipe",
      }).toString();
    expect(check(UNICODE_PASSWORD)).toMatch(/verified/);
    expect(() => check("pencil")).toThrow();
  });
});
