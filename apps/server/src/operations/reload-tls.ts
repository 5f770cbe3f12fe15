import { X509Certificate } from "node:crypto";
import { CliError } from "@apop/cli-kit";
import type { Pop3Server } from "@apop/node";
import { readTlsFiles } from "../config/read-tls-files.ts";
import type { Logger } from "../serving/json-logger.ts";

/**
 * Re-reads the certificate and key (SIGHUP, after a renewal) and hands them to the server
 * for new connections; open sessions keep the certificate they started with. A pair with any
 * problem (unreadable, not PEM, a key that does not match) is not used: the old one stays and
 * each problem is logged, so a renewal caught half-written never takes TLS down.
 */
export function reloadTls(options: {
  files: { readonly cert: string; readonly key: string };
  server: Pop3Server;
  logger: Logger;
}): boolean {
  const { files, server, logger } = options;
  try {
    const read = readTlsFiles(files);
    for (const warning of read.warnings) logger.log("warn", "config-warning", { message: warning });
    server.setTls({ cert: read.cert, key: read.key });
    const leaf = new X509Certificate(read.cert);
    logger.log("info", "tls-reloaded", {
      cert: files.cert,
      subject: leaf.subject,
      validTo: leaf.validTo,
      fingerprint256: leaf.fingerprint256,
    });
    return true;
  } catch (error) {
    const problems = error instanceof CliError ? error.lines : [(error as Error).message];
    logger.log("error", "tls-reload-failed", {
      cert: files.cert,
      problems,
      kept: "the old certificate",
    });
    return false;
  }
}
