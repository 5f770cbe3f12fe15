import { rootCertificates } from "node:tls";
import { MemoryStore } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { connect, createPop3Server } from "../src/index.ts";
import { trustedCas } from "../src/tls-handshake.ts";
import {
  authenticator,
  perFileTlsServer,
  startServer,
  type TestServer,
} from "./helpers/fixtures.ts";

const pki = perFileTestPki();
const good = perFileTlsServer(pki);

const modes = ["implicit", "starttls"] as const;
const portOf = (served: TestServer, mode: (typeof modes)[number]): number =>
  mode === "implicit" ? (served.tlsPort as number) : served.port;

/** Nobody logged in and no command ran inside TLS on a connection whose certificate failed. */
function noSessionInsideTls(served: TestServer): void {
  expect(served.events).not.toContainEqual(
    expect.objectContaining({ event: expect.objectContaining({ type: "login-requested" }) }),
  );
}

describe.each(modes)("certificate verification (%s)", (mode) => {
  it("rejects a certificate from a CA it does not trust, by default", async () => {
    const error = await connect({ host: "127.0.0.1", port: portOf(good, mode), tls: mode }).catch(
      (e: unknown) => e,
    );
    expect((error as NodeJS.ErrnoException).code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    noSessionInsideTls(good);
  });

  it("rejects a certificate for another host name", async () => {
    const error = await connect({
      host: "127.0.0.1",
      port: portOf(good, mode),
      tls: mode,
      ca: pki.ca,
      servername: "pop.example.org",
    }).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  it("accepts the certificate with `ca`, by IP address and by name", async () => {
    for (const host of ["127.0.0.1", "localhost"]) {
      const client = await connect({ host, port: portOf(good, mode), tls: mode, ca: pki.ca });
      expect(client.secure).toBe(true);
      await client.quit();
    }
  });

  it("accepts an untrusted certificate only with rejectUnauthorized: false", async () => {
    const client = await connect({
      host: "127.0.0.1",
      port: portOf(good, mode),
      tls: mode,
      rejectUnauthorized: false,
    });
    expect(client.secure).toBe(true);
    await client.quit();
  });

  it.each([
    ["an expired certificate", "expiredCert", "CERT_HAS_EXPIRED"],
    ["a certificate not meant for servers", "clientOnlyCert", "INVALID_PURPOSE"],
    ["a certificate for another name", "wrongNameCert", "ERR_TLS_CERT_ALTNAME_INVALID"],
    // Bun's TLS (BoringSSL) names the same refusal after the missing issuer.
    [
      "a self-signed certificate",
      "selfSignedCert",
      process.versions.bun === undefined
        ? "DEPTH_ZERO_SELF_SIGNED_CERT"
        : "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ],
  ] as const)("rejects %s even with the right CA", async (_, which, code) => {
    const bad = await startServer({ tls: { key: pki.key, cert: pki[which] } });
    const error = await connect({
      host: "127.0.0.1",
      port: portOf(bad, mode),
      tls: mode,
      ca: pki.ca,
    }).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe(code);
    noSessionInsideTls(bad);
    await bad.close();
  });
});

describe("the option names @apop/deno shares", () => {
  it("serverName, tls, host, port, implicitTls, ca as one PEM string: as written for Deno's serve and connect", async () => {
    const server = createPop3Server({
      store: new MemoryStore(),
      authenticator,
      serverName: "apop.test",
      tls: { cert: pki.cert, key: pki.key },
    });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0, implicitTls: true });
    try {
      const client = await connect({ host: "localhost", port, tls: "implicit", ca: pki.ca });
      expect(client.greeting.timestamp).toMatch(/@apop\.test>$/);
      await client.quit();
    } finally {
      await server.close({ graceMs: 0 });
    }
  });

  it("`ca` adds to Node's root store (Node's own `ca` would replace it)", () => {
    const trusted = trustedCas(pki.ca);
    expect(trusted).toEqual([...rootCertificates, pki.ca]);
    expect(trustedCas([pki.ca, pki.otherCa]).slice(-2)).toEqual([pki.ca, pki.otherCa]);
  });
});
