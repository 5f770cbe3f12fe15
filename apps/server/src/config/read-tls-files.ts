import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";

/**
 * Reads the certificate chain and private key (PEM) at start-up, before any privilege drop,
 * and has OpenSSL load them together so that a wrong file, a key that does not match the
 * certificate or an encrypted key fails now with its file name, not at the first STLS.
 *
 * Throws `CliError` (exit 2) with every problem. Warns when the certificate has expired or
 * is not valid yet (clients will refuse it, but the operator may be replacing it).
 */
export function readTlsFiles(options: { cert: string; key: string; now?: Date }): {
  cert: string;
  key: string;
  warnings: string[];
} {
  const problems: string[] = [];
  const read = (label: string, file: string): string => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      problems.push(`${label}: cannot read ${file}: ${(error as Error).message}`);
      return "";
    }
  };
  const cert = read("tls.cert", options.cert);
  const key = read("tls.key", options.key);
  if (problems.length === 0) {
    if (!cert.includes("-----BEGIN CERTIFICATE-----")) {
      problems.push(`tls.cert: ${options.cert} holds no PEM certificate`);
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
      problems.push(`tls.key: ${options.key} holds no PEM private key`);
    }
  }
  if (problems.length === 0) {
    try {
      createSecureContext({ cert, key, minVersion: "TLSv1.2" });
    } catch (error) {
      problems.push(
        `tls: ${options.cert} and ${options.key} were refused: ${(error as Error).message}`,
      );
    }
  }
  if (problems.length > 0)
    throw new CliError({ exitCode: ExitCode.config, message: problems.join("\n") });
  const warnings: string[] = [];
  const now = options.now ?? new Date();
  const leaf = new X509Certificate(cert);
  if (new Date(leaf.validTo) < now) {
    warnings.push(`tls.cert: ${options.cert} expired on ${leaf.validTo}; clients will refuse it`);
  } else if (new Date(leaf.validFrom) > now) {
    warnings.push(`tls.cert: ${options.cert} is not valid before ${leaf.validFrom}`);
  }
  return { cert, key, warnings };
}
