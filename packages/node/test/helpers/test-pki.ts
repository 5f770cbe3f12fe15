/**
 * Certificates for the test run, made fresh with the openssl CLI into a temporary directory
 * (no private key is committed): a CA, a leaf for `localhost` and 127.0.0.1 signed by it, an
 * expired leaf and a leaf for client authentication only (wrong extended key usage).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  /** The CA certificate (PEM) that signed every leaf. */
  readonly ca: string;
  /** The private key of every leaf. */
  readonly key: string;
  /** Valid for localhost and 127.0.0.1, serverAuth. */
  readonly cert: string;
  /** Same names, expired in 2020. */
  readonly expiredCert: string;
  /** Same names, but only good for clientAuth. */
  readonly clientOnlyCert: string;
  /** Removes the temporary directory. */
  cleanup(): void;
}

const OPENSSL = "/usr/bin/openssl";

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "apop-pki-"));
  const run = (...args: string[]): void => {
    execFileSync(OPENSSL, args, { cwd: dir, stdio: "pipe" });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=apop test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  run("req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost");
  const extensions = (usage: string): string =>
    [
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      `extendedKeyUsage=${usage}`,
      "",
    ].join("\n");
  writeFileSync(join(dir, "server.ext"), extensions("serverAuth"));
  writeFileSync(join(dir, "client.ext"), extensions("clientAuth"));
  const sign = (out: string, ext: string): void =>
    run(
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      out,
      "-days",
      "2",
      "-extfile",
      ext,
    );
  sign("leaf.crt", "server.ext");
  sign("client-only.crt", "client.ext");
  // `openssl ca` is the one 3.0 command that takes explicit validity dates.
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "01\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    [
      "[ca]",
      "default_ca = test",
      "[test]",
      "database = index.txt",
      "serial = serial",
      "new_certs_dir = .",
      "certificate = ca.crt",
      "private_key = ca.key",
      "default_md = sha256",
      "policy = any",
      "unique_subject = no",
      "[any]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  run(
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200102000000Z",
    "-in",
    "leaf.csr",
    "-out",
    "expired.crt",
    "-extfile",
    "server.ext",
    "-notext",
  );
  const read = (name: string): string => readFileSync(join(dir, name), "utf8");
  return {
    ca: read("ca.crt"),
    key: read("leaf.key"),
    cert: read("leaf.crt"),
    expiredCert: read("expired.crt"),
    clientOnlyCert: read("client-only.crt"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
