/**
 * The one test PKI of the repo: a certificate authority and leaf certificates, made fresh for
 * each test run with the openssl CLI (no private key is ever committed). EC P-256 keys, valid
 * two days. Every leaf shares one key, so a test swaps a certificate without swapping keys.
 *
 * Node APIs only: vitest imports it as is, and Deno runs it too when given `dir` and `openssl`
 * (see `TestPkiOptions`). Imported by relative path, so it is no workspace package.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  /** The folder holding every file: `ca.crt`, `leaf.crt`, `leaf.key` and the others. */
  readonly dir: string;
  /** The CA certificate (PEM) that signed every leaf but `selfSignedCert`. */
  readonly ca: string;
  readonly caFile: string;
  /** A second CA (PEM) that signed nothing: a client trusting only it must refuse every leaf. */
  readonly otherCa: string;
  /** The private key (PEM) of every leaf. */
  readonly key: string;
  readonly keyFile: string;
  /** The good leaf (PEM): localhost, 127.0.0.1 and ::1, serverAuth, signed by `ca`. */
  readonly cert: string;
  readonly certFile: string;
  /** As `cert`, but valid only on 1 January 2020. */
  readonly expiredCert: string;
  /** As `cert`, but for pop.example.org only. */
  readonly wrongNameCert: string;
  /** As `cert`, but good for clientAuth only (wrong extended key usage). */
  readonly clientOnlyCert: string;
  /** As `cert`, but signed by its own key instead of the CA. */
  readonly selfSignedCert: string;
  /** Removes `dir` and everything in it. */
  cleanup(): void;
}

export interface TestPkiOptions {
  /**
   * The folder to make the files in, created when missing, removed by `cleanup()`. Default: a
   * fresh one under `os.tmpdir()`. Deno passes one from `Deno.makeTempDirSync`, because its
   * `os.tmpdir()` reads the environment, which its tests may not.
   */
  dir?: string;
  /**
   * Runs `openssl` with `args` in `cwd` and throws when it fails. Default: `execFileSync`.
   * Deno passes `Deno.Command`, because its node:child_process reads the environment too.
   */
  openssl?: (args: string[], cwd: string) => void;
}

const LEAF_NAMES = "DNS:localhost,IP:127.0.0.1,IP:::1";

const leafExtensions = (names: string, usage: string): string[] => [
  "basicConstraints = critical,CA:FALSE",
  "keyUsage = critical,digitalSignature",
  `extendedKeyUsage = ${usage}`,
  `subjectAltName = ${names}`,
  "subjectKeyIdentifier = hash",
  "authorityKeyIdentifier = keyid",
];

/**
 * Our own OpenSSL configuration, so the machine's openssl.cnf changes nothing. The extensions
 * are the strict set (key identifiers, key usage, EKU) that verifiers such as Python 3.13's
 * `VERIFY_X509_STRICT` require. The `[ca]` part serves `openssl ca` (the expired leaf).
 */
const OPENSSL_CONFIG = [
  "[req]",
  "distinguished_name = dn",
  "prompt = no",
  "[dn]",
  "CN = apop test",
  "[ca_ext]",
  "basicConstraints = critical,CA:TRUE",
  "keyUsage = critical,keyCertSign,cRLSign",
  "subjectKeyIdentifier = hash",
  "[server_ext]",
  ...leafExtensions(LEAF_NAMES, "serverAuth"),
  "[client_ext]",
  ...leafExtensions(LEAF_NAMES, "clientAuth"),
  "[wrong_name_ext]",
  ...leafExtensions("DNS:pop.example.org", "serverAuth"),
  "[ca]",
  "default_ca = test_ca",
  "[test_ca]",
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
].join("\n");

const NEW_CA = "req -x509 -config openssl.cnf -extensions ca_ext -days 2 -nodes";
const NEW_KEY = "-newkey ec -pkeyopt ec_paramgen_curve:P-256";
const SIGN =
  "x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAserial serial -days 2 -extfile openssl.cnf";

/** Every openssl run, in order, as a shell line (no argument holds a space), in `dir`. */
const COMMANDS: string[][] = [
  `${NEW_CA} ${NEW_KEY} -keyout ca.key -out ca.crt -subj /CN=apop-test-ca`,
  `${NEW_CA} ${NEW_KEY} -keyout other-ca.key -out other-ca.crt -subj /CN=apop-test-other-ca`,
  `req -new -config openssl.cnf -nodes ${NEW_KEY} -keyout leaf.key -out leaf.csr -subj /CN=localhost`,
  // Expired: `openssl ca` is the one OpenSSL 3.0 command that takes explicit validity dates.
  // It signs with the number in `serial`, `x509 -CAserial` with the one after: `ca` goes first,
  // and no two leaves share a serial number.
  "ca -batch -config openssl.cnf -extensions server_ext -notext -in leaf.csr -out expired.crt " +
    "-startdate 20200101000000Z -enddate 20200102000000Z",
  `${SIGN} -extensions server_ext -out leaf.crt`,
  `${SIGN} -extensions client_ext -out client-only.crt`,
  `${SIGN} -extensions wrong_name_ext -out wrong-name.crt`,
  "req -x509 -config openssl.cnf -extensions server_ext -days 2 -key leaf.key " +
    "-out self-signed.crt -subj /CN=localhost",
].map((line) => line.split(" "));

const execOpenssl = (args: string[], cwd: string): void => {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
};

/**
 * Makes the test PKI: eight openssl runs, a few hundred milliseconds. Call it once per
 * test file (in `beforeAll`) and `cleanup()` after; each call makes a new, unrelated CA.
 * Throws with openssl's message when openssl is missing or fails.
 */
export function createTestPki(options: TestPkiOptions = {}): TestPki {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "apop-pki-"));
  mkdirSync(dir, { recursive: true });
  const file = (name: string): string => join(dir, name);
  writeFileSync(file("openssl.cnf"), OPENSSL_CONFIG);
  writeFileSync(file("index.txt"), "");
  writeFileSync(file("serial"), "1000\n");
  for (const args of COMMANDS) (options.openssl ?? execOpenssl)(args, dir);
  const read = (name: string): string => readFileSync(file(name), "utf8");
  return {
    dir,
    ca: read("ca.crt"),
    caFile: file("ca.crt"),
    otherCa: read("other-ca.crt"),
    key: read("leaf.key"),
    keyFile: file("leaf.key"),
    cert: read("leaf.crt"),
    certFile: file("leaf.crt"),
    expiredCert: read("expired.crt"),
    wrongNameCert: read("wrong-name.crt"),
    clientOnlyCert: read("client-only.crt"),
    selfSignedCert: read("self-signed.crt"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
