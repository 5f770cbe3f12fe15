import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runToolOk } from "./run-tool.ts";

/** The run's TLS files (PEM), all inside the run's temp folder. */
export interface Certificates {
  /** The test CA that every client is told to trust, and nothing else. */
  readonly ca: string;
  /** The server certificate: localhost and 127.0.0.1, signed by the CA. */
  readonly cert: string;
  readonly key: string;
}

/**
 * An OpenSSL configuration of our own, so that the machine's openssl.cnf changes nothing.
 * The extensions are the strict set (key identifiers, key usage, EKU) that verifying clients
 * such as Python 3.13's `VERIFY_X509_STRICT` require.
 */
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = apop interop test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

/**
 * Makes a CA and a server certificate for `localhost` / `127.0.0.1` with the openssl CLI
 * (P-256 keys, valid two days). Nothing is committed: every run makes its own.
 */
export async function makeCertificates(dir: string): Promise<Certificates> {
  const config = join(dir, "openssl.cnf");
  await writeFile(config, OPENSSL_CONFIG);
  const env = { ...process.env, OPENSSL_CONF: config };
  const files = {
    ca: join(dir, "ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
  };
  const caKey = join(dir, "ca.key");
  const csr = join(dir, "server.csr");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await runToolOk({
    command: "openssl",
    args: ["req", "-x509", "-new", ...ec, "-keyout", caKey, "-out", files.ca, "-days", "2"].concat([
      "-subj",
      "/CN=apop interop test CA",
      "-config",
      config,
      "-extensions",
      "ca_ext",
    ]),
    env,
  });
  await runToolOk({
    command: "openssl",
    args: [
      "req",
      "-new",
      ...ec,
      "-keyout",
      files.key,
      "-out",
      csr,
      "-subj",
      "/CN=localhost",
      "-config",
      config,
    ],
    env,
  });
  await runToolOk({
    command: "openssl",
    args: [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      files.ca,
      "-CAkey",
      caKey,
      "-out",
      files.cert,
      "-days",
      "2",
    ].concat([
      "-set_serial",
      `0x${randomBytes(8).toString("hex")}`,
      "-extfile",
      config,
      "-extensions",
      "leaf_ext",
    ]),
    env,
  });
  return files;
}
