/**
 * Our client's OAUTHBEARER (RFC 7628) and XOAUTH2 against Dovecot 2.3.19's `passdb oauth2`
 * with local JWT validation (`introspection_mode = local`: the signature checked against a
 * key from `local_validation_key_dict`, `exp`, and `sub` as the user), in a Dovecot of its own.
 * Dovecot looks a key up as `<azp, else default>/<alg>/<kid>` under the dict's prefix; its JWT
 * header must carry `typ`.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Pop3Error } from "@apop/core";
import { connect } from "@apop/node";
import { needs } from "@apop/vitest-preset/needs";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { buildBulkCorpus } from "../src/corpus.ts";
import { type Dovecot, startDovecot } from "../src/start-dovecot.ts";
import { makeTempDir, removeTempDir } from "../src/temp-dir.ts";
import { KEEPER } from "../src/users.ts";

const certificates = inject("certificates");
const dovecotInstalled = ["/usr/lib/dovecot/pop3", "/usr/libexec/dovecot/pop3"].some((path) =>
  existsSync(path),
);
const withDovecot = needs({ met: dovecotInstalled, what: "Dovecot's pop3 (npm run setup)" });

let dir: string | undefined;
let dovecot: Dovecot | undefined;
let sign: (claims: Record<string, unknown>, expires?: string) => Promise<string>;

beforeAll(async () => {
  if (!dovecotInstalled) return;
  dir = await makeTempDir("client-dovecot-oauth");
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const keys = join(dir, "oauth-keys");
  await mkdir(join(keys, "default", "ES256"), { recursive: true, mode: 0o755 });
  await writeFile(join(keys, "default", "ES256", "k1"), await exportSPKI(publicKey));
  await chmod(dir, 0o755);
  sign = (claims, expires = "5m") =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime(expires)
      .sign(privateKey);
  const oauthConf = join(dir, "dovecot-oauth2.conf.ext");
  await writeFile(
    oauthConf,
    `introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix=${keys}/\nusername_attribute = sub\n`,
    { mode: 0o644 },
  );
  dovecot = await startDovecot({
    dir,
    certificates,
    users: [KEEPER],
    mail: { [KEEPER.name]: buildBulkCorpus().slice(0, 2) },
    // Later settings win: OAuth joins the mechanisms, checked by the oauth2 passdb alone.
    settings: `auth_mechanisms = plain oauthbearer xoauth2
passdb {
  driver = oauth2
  mechanisms = oauthbearer xoauth2
  args = ${oauthConf}
}
`,
  });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await removeTempDir(dir);
});

const open = async () =>
  connect({
    host: "127.0.0.1",
    port: (dovecot as Dovecot).tlsPort,
    tls: "implicit",
    ca: await readFile(certificates.ca),
    servername: "localhost",
  });

for (const method of ["oauthbearer", "xoauth2"] as const) {
  withDovecot.it(`logs in with ${method} and a JWT Dovecot validates locally`, async () => {
    const client = await open();
    expect((await client.capa())?.get("SASL")).toEqual(
      expect.arrayContaining(["OAUTHBEARER", "XOAUTH2"]),
    );
    expect(
      await client.login({ user: KEEPER.name, password: await sign({ sub: KEEPER.name }), method }),
    ).toBe(method);
    expect((await client.stat()).count).toBe(2);
    await client.quit();
    expect(await (dovecot as Dovecot).log()).toMatch(
      new RegExp(`Login: user=<${KEEPER.name}>, method=${method.toUpperCase()}`),
    );
  });

  withDovecot.it(`${method}: an expired token is refused with [AUTH]`, async () => {
    const client = await open();
    const error = await client
      .login({ user: KEEPER.name, password: await sign({ sub: KEEPER.name }, "-1m"), method })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
    await client.quit().catch(() => {});
  });
}
