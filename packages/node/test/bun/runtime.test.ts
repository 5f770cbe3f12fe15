// `bun test` runs this package's whole suite (test/ and src/) under Bun, unchanged: the
// transports, STLS, implicit TLS, the injection tests and the server, on Bun's node:net and
// node:tls. This file makes sure that run is Bun's and not Node's; vitest skips the folder.
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { connect } from "../../src/index.ts";
import { startServer } from "../helpers/fixtures.ts";

const pki = perFileTestPki();

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

  it("gives both ends the same tls-exporter channel binding (RFC 9266), as SCRAM -PLUS needs", async () => {
    const label = "EXPORTER-Channel-Binding";
    const exported = (socket: tls.TLSSocket): Buffer =>
      socket.exportKeyingMaterial(32, label, Buffer.alloc(0));
    let onServerSide: (value: Buffer) => void = () => {};
    const serverSide = new Promise<Buffer>((resolve) => {
      onServerSide = resolve;
    });
    const server = tls.createServer({ key: pki.key, cert: pki.cert }, (socket) => {
      onServerSide(exported(socket));
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const clientSide = await new Promise<Buffer>((resolve, reject) => {
      const client = tls.connect({ port, host: "127.0.0.1", ca: pki.ca }, () => {
        resolve(exported(client));
        client.end();
      });
      client.once("error", reject);
    });
    const serverValue = await serverSide;
    server.close();
    expect(serverValue).toHaveLength(32);
    expect(clientSide.equals(serverValue)).toBe(true);
  });
});
