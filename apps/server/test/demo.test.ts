import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { connect } from "@apop/node";
import { needs } from "@apop/vitest-preset/needs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MESSAGES } from "../src/demo/ensure-demo-data.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { cleanEnv, runCli } from "./helpers/run-cli.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const run = promisify(execFile);
const crlf = (text: string): Buffer => Buffer.from(text.replaceAll("\n", "\r\n"), "utf8");

let fixture: Fixture;
let server: ServerProcess;
let dataDir: string;

beforeAll(async () => {
  fixture = createFixture();
  dataDir = path.join(fixture.dir, "demo-data");
  // Port 0 instead of 1110: the banner must print the port really bound.
  server = await ServerProcess.start([
    "--demo",
    "--data-dir",
    dataDir,
    "--listen",
    "127.0.0.1:0",
    "--web",
    "127.0.0.1:0",
  ]);
  await server.waitForStderr("Stop with Ctrl-C");
});

afterAll(async () => {
  await server?.stop();
  fixture?.cleanup();
});

/** The line of the banner that starts with `prefix`, as printed. */
function bannerLine(prefix: string): string {
  const line = server.stderr.split("\n").find((l) => l.trimStart().startsWith(prefix));
  if (line === undefined) throw new Error(`no "${prefix}" line in:\n${server.stderr}`);
  return line.trim();
}

describe("apop-server --demo", () => {
  it("creates a users file (mode 0600) and a Maildir with the demo messages", () => {
    const users = path.join(dataDir, "users");
    expect(statSync(users).mode & 0o777).toBe(0o600);
    expect(readFileSync(users, "utf8")).toMatch(/^demo:\{PLAIN\}demo$/m);
    const delivered = readdirSync(path.join(dataDir, "mail", "demo", "new")).sort();
    expect(delivered).toEqual(DEMO_MESSAGES.map((m) => m.file));
    expect(server.stderr).toContain("created just now");
  });

  it("prints an APOP command whose server side works as printed", async () => {
    const line = bannerLine("APOP_PASSWORD=");
    const match = /pop3:\/\/demo@127\.0\.0\.1:(\d+) --tls none --auth apop$/.exec(line);
    expect(match?.[1]).toBe(String(server.port("none")));
    const client = await connect({ host: "127.0.0.1", port: Number(match?.[1]), tls: "none" });
    await client.apop("demo", "demo");
    expect((await client.list()).length).toBe(DEMO_MESSAGES.length);
    for (const [i, message] of DEMO_MESSAGES.entries()) {
      expect(Buffer.from(await client.retrBytes(i + 1))).toEqual(crlf(message.text));
    }
    await client.quit();
  });

  needs({ met: existsSync("/usr/bin/curl"), what: "curl (npm run setup)" }).it(
    "prints a curl command that fetches message 1 as printed",
    async () => {
      const line = bannerLine("curl ");
      expect(line).toBe(
        `curl --login-options 'AUTH=+APOP' -u demo:demo pop3://127.0.0.1:${server.port("none")}/1`,
      );
      const { stdout } = await run("sh", ["-c", line], { encoding: "buffer", env: cleanEnv() });
      expect(stdout).toEqual(crlf(DEMO_MESSAGES[0]?.text as string));
      await server.waitForLog(
        (r) => r.event === "auth-ok" && r.mechanism === "APOP" && r.user === "demo",
      );
    },
  );

  it("prints the webmail page's address, which serves the page", async () => {
    const line = bannerLine("Webmail:");
    const url = server.logs.find((r) => r.event === "webmail")?.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(line).toBe(`Webmail: open ${url} and sign in as demo / demo.`);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>apop webmail</title>");
  });

  it("keeps plaintext USER/PASS off without TLS", async () => {
    const client = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
    await expect(client.user("demo", "demo")).rejects.toMatchObject({ code: "auth" });
    await client.quit();
  });

  it("says clearly when the port is taken, and exits 3", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const result = await runCli([
        "--demo",
        "--data-dir",
        dataDir,
        "--listen",
        `127.0.0.1:${port}`,
        "--web",
        "127.0.0.1:0",
      ]);
      expect(result.code).toBe(3);
      expect(result.stderr).toBe(
        `apop-server: cannot listen on 127.0.0.1:${port}: the address is already in use (another apop-server?); pick another port with --listen HOST:PORT\n`,
      );
    } finally {
      blocker.close();
    }
  });
});

describe("apop-server with no arguments", () => {
  it("runs the demo from $XDG_STATE_HOME/apop-server/demo on 127.0.0.1:1110 (or says the port is taken), writing nothing into the current folder", async () => {
    const own = createFixture();
    try {
      let started: ServerProcess | null = null;
      try {
        mkdirSync(path.join(own.dir, "cwd"));
        started = await ServerProcess.start([], {
          cwd: path.join(own.dir, "cwd"),
          env: { XDG_STATE_HOME: path.join(own.dir, "state") },
        });
      } catch (error) {
        // Another demo (a developer's) may hold 1110 or 8110: then the refusal must be the clear one.
        expect(String(error)).toMatch(
          /cannot (listen|serve the webmail page) on 127\.0\.0\.1:(1110|8110): .*in use/,
        );
      }
      if (started !== null) {
        expect(started.port("none")).toBe(1110);
        expect(started.logs.find((r) => r.event === "webmail")?.url).toBe("http://127.0.0.1:8110/");
        await started.stop();
        expect(await started.exited).toEqual({ code: 0, signal: null });
      }
      expect(existsSync(path.join(own.dir, "state", "apop-server", "demo", "users"))).toBe(true);
      expect(readdirSync(path.join(own.dir, "cwd"))).toEqual([]);
    } finally {
      own.cleanup();
    }
  });
});
