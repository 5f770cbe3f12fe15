// OAUTHBEARER (RFC 7628) and XOAUTH2 on apop-server, with curl's --oauth2-bearer as the
// independent client: JWTs signed here, checked by the server against a JWKS file (issuer,
// audience, expiry, and the user claim: email, else sub). XOAUTH2 is proven with a server that
// offers it alone, since curl prefers OAUTHBEARER whenever it is offered.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { needs } from "@apop/vitest-preset/needs";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const run = promisify(execFile);
const ISSUER = "https://issuer.test";
const AUDIENCE = "pop3.test";

let fixture: Fixture;
let pki: TestPki;
let both: ServerProcess;
let xoauth2Only: ServerProcess;
let sign: (claims: Record<string, unknown>, expires?: string) => Promise<string>;

/** A config file for a server on implicit TLS that checks JWTs against `jwks`. */
const oauthConfig = (jwks: string): string =>
  fixture.writeServerConfig(
    {
      tlsListen: "127.0.0.1:0",
      tls: { cert: pki.certFile, key: pki.keyFile },
      oauth: { jwks, issuer: ISSUER, audience: AUDIENCE },
    },
    `server-${path.basename(jwks)}`,
  );

beforeAll(async () => {
  fixture = createFixture();
  pki = createTestPki({ dir: path.join(fixture.dir, "pki") });
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  const jwks = path.join(fixture.dir, "jwks.json");
  writeFileSync(jwks, JSON.stringify({ keys: [jwk] }));
  sign = (claims, expires = "5m") =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(privateKey);
  fixture.writeUsers(["other:{PLAIN}secret"]);
  fixture.addMaildir("alice");
  const config = oauthConfig(jwks);
  both = await ServerProcess.start(["--config", config]);
  // One name everywhere: the flag here, the config key above.
  xoauth2Only = await ServerProcess.start(["--config", config, "--oauth-mechanisms", "XOAUTH2"]);
}, 60_000);

afterAll(async () => {
  await Promise.all([both?.stop(), xoauth2Only?.stop()]);
  fixture?.cleanup();
});

const curl = (server: ServerProcess, token: string) =>
  run(
    "curl",
    [
      "-sS",
      "--cacert",
      pki.caFile,
      "--oauth2-bearer",
      token,
      "-u",
      "alice:",
      `pop3s://localhost:${server.port("implicit")}/`,
    ],
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
  ).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );

describe.sequential("curl --oauth2-bearer against apop-server", () => {
  const withCurl = needs({ met: existsSync("/usr/bin/curl"), what: "curl (npm run setup)" });

  withCurl.it("logs in with OAUTHBEARER and a valid JWT (sub names the user)", async () => {
    const result = await curl(both, await sign({ sub: "alice" }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^1 \d+\r?\n/);
    await both.waitForLog(
      (r) => r.event === "auth-ok" && r.mechanism === "OAUTHBEARER" && r.user === "alice",
    );
  });

  withCurl.it("logs in with XOAUTH2 where it is the only OAuth mechanism", async () => {
    const result = await curl(xoauth2Only, await sign({ email: "alice" }));
    expect(result.code).toBe(0);
    await xoauth2Only.waitForLog(
      (r) => r.event === "auth-ok" && r.mechanism === "XOAUTH2" && r.user === "alice",
    );
  });

  const refusals: [string, Record<string, unknown>, string, RegExp][] = [
    ["expired", { sub: "alice" }, "-1m", /expired/],
    ["for another user (email wins over sub)", { email: "bob", sub: "alice" }, "5m", /claim/],
  ];
  for (const [name, claims, expires, why] of refusals) {
    withCurl.it(`refuses a token ${name}, and logs why with the client's address`, async () => {
      const before = both.logs.length;
      const result = await curl(both, await sign(claims, expires));
      expect(result.code).toBe(67); // CURLE_LOGIN_DENIED
      await both.waitForLog(
        (r) =>
          both.logs.indexOf(r) >= before &&
          r.event === "auth-failed" &&
          r.mechanism === "OAUTHBEARER" &&
          r.remote === "127.0.0.1" &&
          why.test(String(r.detail)),
      );
    });
  }
});

describe("SIGHUP re-reads the JWKS", () => {
  const withCurl = needs({ met: existsSync("/usr/bin/curl"), what: "curl (npm run setup)" });

  withCurl.it(
    "accepts tokens of a rotated key after SIGHUP, and keeps the keys over a broken file",
    async () => {
      const jwks = path.join(fixture.dir, "rotating-jwks.json");
      writeFileSync(jwks, readFileSync(path.join(fixture.dir, "jwks.json")));
      const server = await ServerProcess.start(["--config", oauthConfig(jwks)]);
      try {
        const rotated = await generateKeyPair("ES256");
        const jwk = { ...(await exportJWK(rotated.publicKey)), kid: "k2", alg: "ES256" };
        const token = await new SignJWT({ sub: "alice" })
          .setProtectedHeader({ alg: "ES256", kid: "k2" })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime("5m")
          .sign(rotated.privateKey);
        expect((await curl(server, token)).code).toBe(67); // not yet a known key

        writeFileSync(jwks, JSON.stringify({ keys: [jwk] }));
        let before = server.logs.length;
        server.signal("SIGHUP");
        await server.waitForLog(
          (r) => server.logs.indexOf(r) >= before && r.event === "oauth-keys-reloaded",
        );
        expect((await curl(server, token)).code).toBe(0);

        writeFileSync(jwks, '{"keys": [');
        before = server.logs.length;
        server.signal("SIGHUP");
        const failed = await server.waitForLog(
          (r) => server.logs.indexOf(r) >= before && r.event === "oauth-keys-reload-failed",
        );
        expect(failed.kept).toBe("the keys already loaded");
        expect((await curl(server, token)).code).toBe(0);
      } finally {
        await server.stop();
      }
    },
  );
});
