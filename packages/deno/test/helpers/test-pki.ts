/**
 * Certificates for the test run, made fresh with the openssl CLI into a temporary directory
 * (no private key is committed): an EC CA, and a leaf for `localhost` and 127.0.0.1 signed by
 * it. rustls refuses a CA certificate used as the server's own, so the server gets the leaf.
 */
export interface TestPki {
  /** The directory holding ca.crt, leaf.crt and leaf.key (for the Node child processes). */
  readonly dir: string;
  /** The CA certificate (PEM). */
  readonly ca: string;
  /** The leaf's private key (PEM). */
  readonly key: string;
  /** Valid for localhost and 127.0.0.1, serverAuth. */
  readonly cert: string;
  /** A second CA, which signed nothing the servers use. */
  readonly otherCa: string;
  cleanup(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "apop-deno-pki-" });
  const run = async (...args: string[]): Promise<void> => {
    const { success, stderr } = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(stderr)}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = (name: string) =>
    run(
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-subj",
      `/CN=apop deno test ${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  await ca("ca");
  await ca("other-ca");
  await run("req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost");
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    [
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"),
  );
  await run(
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
    "leaf.crt",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  );
  const read = (name: string): Promise<string> => Deno.readTextFile(`${dir}/${name}`);
  return {
    dir,
    ca: await read("ca.crt"),
    key: await read("leaf.key"),
    cert: await read("leaf.crt"),
    otherCa: await read("other-ca.crt"),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}
