// SIGHUP after a certificate renewal: new connections get the new certificate, open sessions
// go on, and a bad new file keeps the old certificate and says why.
import { X509Certificate } from "node:crypto";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tls from "node:tls";
import { afterAll, describe, expect, it } from "vitest";
import { createTestPki } from "../../../tooling/test-pki/test-pki.ts";
import { createFixture } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const fixture = createFixture();
const pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
afterAll(() => fixture.cleanup());

/** Connects over implicit TLS: the presented certificate's fingerprint, and the socket. */
function open(
  port: number,
): Promise<{ fingerprint: string; socket: tls.TLSSocket; greeting: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    socket.once("data", (chunk: Buffer) =>
      resolve({
        fingerprint: socket.getPeerX509Certificate()?.fingerprint256 ?? "",
        socket,
        greeting: chunk.toString("latin1"),
      }),
    );
    socket.once("error", reject);
  });
}

const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

describe("SIGHUP reloads the certificate", () => {
  it("serves the renewed certificate to new connections without dropping sessions, and keeps it over a bad file", async () => {
    fixture.writeUsers(["alice:{PLAIN}wonderland"]);
    fixture.addMaildir("alice");
    const cert = path.join(fixture.dir, "cert.pem");
    const key = path.join(fixture.dir, "key.pem");
    copyFileSync(pki.certFile, cert);
    copyFileSync(pki.keyFile, key);
    const server = await ServerProcess.start([
      "--tls-listen",
      "127.0.0.1:0",
      "--tls-cert",
      cert,
      "--tls-key",
      key,
      "--users",
      fixture.usersFile,
      "--maildir-root",
      fixture.maildirRoot,
    ]);
    const port = server.port("implicit");
    const session = await open(port);
    expect(session.fingerprint).toBe(fingerprint(pki.cert));

    writeFileSync(cert, pki.selfSignedCert);
    server.signal("SIGHUP");
    await server.waitForLog((r) => r.event === "tls-reloaded");
    const renewed = await open(port);
    expect(renewed.fingerprint).toBe(fingerprint(pki.selfSignedCert));
    renewed.socket.destroy();

    writeFileSync(cert, "half a certificate");
    server.signal("SIGHUP");
    const failed = await server.waitForLog((r) => r.event === "tls-reload-failed");
    expect(String(failed.problems)).toContain("holds no PEM certificate");
    const kept = await open(port);
    expect(kept.fingerprint).toBe(fingerprint(pki.selfSignedCert));
    kept.socket.destroy();

    // The session opened before both reloads is still there.
    const bye = new Promise<string>((resolve) =>
      session.socket.once("data", (c: Buffer) => resolve(c.toString())),
    );
    session.socket.write("QUIT\r\n");
    expect(await bye).toMatch(/^\+OK/);
    await server.stop();
  });
});
