/**
 * `apop-server --web HOST:PORT`: the webmail page and its bridge beside the POP3 listeners,
 * the bridge's allow-list being this server. The page itself is tested in Chromium by
 * @apop/websocket, and as a person uses it by webmail-browser.test.ts; here, what the
 * program adds: the URL it prints, the page and bridge it serves, the hop to itself (STLS
 * with its own certificate) and the refusals.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { runCli } from "./helpers/run-cli.ts";
import { ServerProcess } from "./helpers/server-process.ts";

let fixture: Fixture;
let pki: TestPki;
let chainFile: string;

beforeAll(() => {
  fixture = createFixture();
  fixture.writeUsers(["alice:{PLAIN}wonderland"]);
  fixture.addMaildir("alice");
  pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
  // A full chain with its private root: what a self-hosted server's certificate file holds.
  chainFile = path.join(fixture.dir, "fullchain.pem");
  writeFileSync(chainFile, `${pki.cert}${pki.ca}`);
});

afterAll(() => {
  pki?.cleanup();
  fixture?.cleanup();
});

const base = (): string[] => [...fixture.serverArgs(), "--hostname", "pop.test"];

/** The first text frame of a WebSocket to the bridge (the upstream description), or the HTTP refusal. */
function hello(
  url: string,
  options: { origin: string; ca?: string },
): Promise<{ frame?: Record<string, unknown>; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      origin: options.origin,
      ...(options.ca ? { ca: options.ca } : {}),
    });
    ws.once("message", (data, binary) => {
      ws.close();
      if (binary) reject(new Error("a binary frame came first"));
      else resolve({ frame: JSON.parse(data.toString()) as Record<string, unknown> });
    });
    ws.once("unexpected-response", (_request, response) => {
      resolve({ status: response.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once("error", reject);
  });
}

describe("apop-server --web", () => {
  it("serves the page and a bridge to this server on loopback, and logs the URL", async () => {
    const server = await ServerProcess.start([...base(), "--web", "127.0.0.1:0"]);
    try {
      const url = server.logs.find((r) => r.event === "webmail")?.url as string;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-security-policy")).toMatch(
        /^default-src 'none'; script-src 'self'/,
      );
      expect(await (await fetch(new URL("bridge.json", url))).json()).toEqual({
        path: "/pop3",
        targets: [{ name: "pop.test", tls: "none" }],
      });
      const endpoint = `${url.replace(/^http/, "ws")}pop3?target=${"pop.test"}`;
      const { frame } = await hello(endpoint, { origin: url.slice(0, -1) });
      expect(frame).toMatchObject({ type: "upstream", target: "pop.test", secure: false });
      expect(String(frame?.greeting)).toMatch(/^\+OK .*<[^>]+>$/);
      // The same page under another loopback name is the same origin to this server.
      const localhost = url.replace("127.0.0.1", "localhost").slice(0, -1);
      expect((await hello(endpoint, { origin: localhost })).frame?.type).toBe("upstream");
      expect(await hello(endpoint, { origin: "https://elsewhere.example" })).toEqual({
        status: 403,
      });
    } finally {
      await server.stop();
    }
  });

  it("with a certificate, serves https and reaches itself with STLS checked against it", async () => {
    const server = await ServerProcess.start([
      ...base(),
      "--tls-cert",
      chainFile,
      "--tls-key",
      pki.keyFile,
      "--web",
      "127.0.0.1:0",
    ]);
    try {
      const url = server.logs.find((r) => r.event === "webmail")?.url as string;
      expect(url).toMatch(/^https:\/\/localhost:\d+\/$/);
      const endpoint = `${url.replace(/^https/, "wss")}pop3?target=${"pop.test"}`;
      const { frame } = await hello(endpoint, { origin: url.slice(0, -1), ca: pki.ca });
      expect(frame).toMatchObject({ target: "pop.test", secure: true, tls: "starttls" });
    } finally {
      await server.stop();
    }
  });

  it("refuses a page reachable from other machines without a certificate (exit 2)", async () => {
    const result = await runCli([...base(), "--web", "0.0.0.0:0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "config: web: 0.0.0.0:0 is reachable from other machines, which needs TLS: give --tls-cert FILE and --tls-key FILE, or serve the page on 127.0.0.1\n",
    );
  });
});
