// A renewed certificate without a restart: new connections get it, open sessions go on.
import { X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "../../../tooling/vitest/per-file.ts";
import { connect } from "../src/index.ts";
import { startServer } from "./helpers/fixtures.ts";

const pki = perFileTestPki();

/** The fingerprint of the certificate the implicit TLS listener presents. */
function presented(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerX509Certificate()?.fingerprint256 ?? "");
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

describe("setTls", () => {
  it("swaps the certificate for new connections, keeps open sessions, and refuses a bad pair", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    const port = served.tlsPort as number;
    const open = await connect({ host: "127.0.0.1", port, tls: "implicit", ca: pki.ca });
    await open.login({ user: "bob", password: "builder", method: "apop" });
    expect(await presented(port)).toBe(fingerprint(pki.cert));

    served.server.setTls({ key: pki.key, cert: pki.selfSignedCert });
    expect(await presented(port)).toBe(fingerprint(pki.selfSignedCert));
    expect((await open.stat()).count).toBe(1);

    expect(() => served.server.setTls({ key: pki.key, cert: "not a certificate" })).toThrow(/tls/);
    expect(await presented(port)).toBe(fingerprint(pki.selfSignedCert));
    await open.quit();
    await served.close();
  });
});
