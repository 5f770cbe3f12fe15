// `bun test` runs this package's whole suite (test/ and src/) under Bun, unchanged: the
// transports, STLS, implicit TLS, the injection tests and the server, on Bun's node:net and
// node:tls. This file makes sure that run is Bun's and not Node's; vitest skips the folder.
import { describe, expect, it } from "vitest";
import { connect } from "../../src/index.ts";
import { startServer } from "../helpers/fixtures.ts";

describe("the Bun run", () => {
  it("is under Bun, with Bun's own sockets", () => {
    expect(process.versions.bun).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof (globalThis as { Bun?: { listen?: unknown } }).Bun?.listen).toBe("function");
  });

  it("serves and fetches without TLS too, logged in by APOP", async () => {
    const served = await startServer();
    const client = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    await client.login({ user: "bob", password: "builder", method: "apop" });
    expect(await client.stat()).toEqual({ count: 1, size: 20 });
    await client.quit();
    await served.close();
  });
});
