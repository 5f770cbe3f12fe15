// The admin listener: Prometheus metrics and /health, scraped over HTTP from the built server.

import path from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { LineClient } from "./helpers/line-client.ts";
import { ServerProcess } from "./helpers/server-process.ts";

let fixture: Fixture;
let pki: TestPki;
beforeAll(() => {
  fixture = createFixture();
  pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
  fixture.writeUsers(["alice:{PLAIN}wonderland", "bob:{PLAIN}builder"]);
  fixture.addMaildir("alice");
});
afterAll(() => fixture.cleanup());

async function get(
  port: number,
  route: string,
): Promise<{ status: number; body: string; type: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${route}`);
  return {
    status: response.status,
    body: await response.text(),
    type: response.headers.get("content-type") ?? "",
  };
}

/** The value of one sample (`name{labels}`), 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function login(port: number, password: string): Promise<LineClient> {
  const client = await LineClient.connect({ port });
  await client.line();
  await client.command("USER alice");
  await client.command(`PASS ${password}`);
  return client;
}

describe("admin listener", () => {
  it("is off by default", async () => {
    const server = await ServerProcess.start([...fixture.serverArgs()]);
    expect(server.logs.some((r) => r.event === "admin-listening")).toBe(false);
    await server.stop();
  });

  it("counts sessions, logins, commands, octets, lock refusals, penalties and TLS on /metrics, with no user or address labels", async () => {
    const server = await ServerProcess.start([
      "--listen",
      "127.0.0.1:0",
      "--tls-listen",
      "127.0.0.1:0",
      "--tls-cert",
      pki.certFile,
      "--tls-key",
      pki.keyFile,
      "--users",
      fixture.usersFile,
      "--maildir-root",
      fixture.maildirRoot,
      "--allow-plaintext-auth",
      "--auth-failure-delay",
      "0",
      "--auth-failures",
      "1",
      "--admin-listen",
      "0",
    ]);
    const admin = (await server.waitForLog((r) => r.event === "admin-listening")) as unknown as {
      address: string;
      port: number;
    };
    expect(admin.address).toBe("127.0.0.1");
    const port = server.port("starttls");

    const holder = await login(port, "wonderland");
    expect((await holder.multiline("RETR 1"))[0]).toMatch(/^\+OK/);
    const busy = await login(port, "wonderland");
    busy.destroy();
    const wrong = await login(port, "nope");
    expect(await wrong.line()).toBeNull(); // one failure is the limit: closed
    expect(await holder.command("QUIT")).toMatch(/^\+OK/);
    const good = tls.connect({ host: "127.0.0.1", port: server.port("implicit"), ca: pki.ca });
    await new Promise((resolve) => good.once("data", resolve));
    good.end();
    const bad = tls.connect({ host: "127.0.0.1", port: server.port("implicit"), ca: pki.otherCa });
    await new Promise((resolve) => bad.once("error", resolve));
    await server.waitForCount((r) => r.event === "disconnect", 5);

    const metrics = await get(admin.port, "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = metrics.body;
    expect(sample(text, "apop_sessions_total")).toBe(5);
    expect(sample(text, "apop_sessions_open")).toBe(0);
    expect(sample(text, 'apop_logins_total{mechanism="USER",result="ok"}')).toBe(1);
    expect(sample(text, 'apop_logins_total{mechanism="USER",result="in-use"}')).toBe(1);
    expect(sample(text, 'apop_logins_total{mechanism="USER",result="auth"}')).toBe(1);
    expect(sample(text, "apop_lock_refusals_total")).toBe(1);
    expect(sample(text, 'apop_commands_total{command="RETR"}')).toBe(1);
    expect(sample(text, 'apop_penalties_total{limit="authFailures"}')).toBe(1);
    expect(sample(text, 'apop_tls_handshakes_total{result="ok"}')).toBe(1);
    expect(sample(text, 'apop_tls_handshakes_total{result="failed"}')).toBe(1);
    expect(sample(text, "apop_octets_sent_total")).toBeGreaterThan(500);
    expect(sample(text, "apop_store_errors_total")).toBe(0);
    expect(sample(text, "apop_user_source_errors_total")).toBe(0);
    expect(text).toContain("process_cpu_seconds_total");
    // Cardinality: no series is labelled with a user or an address.
    expect(text).not.toMatch(/alice|bob|127\.0\.0\.1/);

    expect(await get(admin.port, "/health")).toMatchObject({
      status: 200,
      body: '{"status":"ok","connections":0}\n',
    });
    expect((await get(admin.port, "/nothing")).status).toBe(404);

    // Shutting down with a session open: /health says 503 until the POP3 side is done.
    const lingering = await login(port, "wonderland");
    server.signal("SIGTERM");
    await server.waitForLog((r) => r.event === "shutdown-started");
    expect(await get(admin.port, "/health")).toMatchObject({
      status: 503,
      body: '{"status":"stopping","connections":1}\n',
    });
    lingering.destroy();
    await server.exited;
  });
});
