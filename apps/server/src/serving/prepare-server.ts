import { statSync } from "node:fs";
import os from "node:os";
import { CliError } from "@apop/cli-kit";
import { apopHostNameProblem } from "@apop/core/internal";
import { ExitCode } from "../cli/exit-code.ts";
import { readTlsFiles } from "../config/read-tls-files.ts";
import type { ServerConfig } from "../config/server-config-schema.ts";
import { loadUsersFile } from "../users/load-users-file.ts";
import { lookupSystemUser } from "../users/lookup-system-user.ts";
import type { UserEntry } from "../users/parse-users-file.ts";

/** Everything the server needs from disk, read and checked. */
export interface PreparedServer {
  readonly config: ServerConfig;
  readonly users: Map<string, UserEntry>;
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** The APOP timestamp's host name: the configured one or the system's. */
  readonly hostname: string;
  readonly warnings: readonly string[];
}

/**
 * Checks what the schema cannot: the users file parses, the certificate and key load, the
 * Maildir root is a directory, the `--user` account exists, the host name fits the APOP
 * timestamp. `check-config` and the server both run it, so the check says exactly what a
 * start would. Throws `CliError` (exit 2) listing every problem.
 */
export async function prepareServer(config: ServerConfig): Promise<PreparedServer> {
  const problems: string[] = [];
  const warnings: string[] = [];
  let users = new Map<string, UserEntry>();
  // With postgres.url the users live in the database (`PostgresUserSource`): no file.
  if (config.users !== undefined) {
    try {
      const loaded = await loadUsersFile(config.users);
      users = loaded.users;
      warnings.push(...loaded.warnings);
    } catch (error) {
      problems.push(...linesOf(error));
    }
  }
  let tls: PreparedServer["tls"];
  if (config.tls?.cert !== undefined && config.tls.key !== undefined) {
    try {
      const read = readTlsFiles({ cert: config.tls.cert, key: config.tls.key });
      tls = { cert: read.cert, key: read.key };
      warnings.push(...read.warnings);
    } catch (error) {
      problems.push(...linesOf(error));
    }
  }
  try {
    if (!statSync(config.maildirRoot).isDirectory()) {
      problems.push(`maildirRoot: ${config.maildirRoot} is not a directory`);
    }
  } catch (error) {
    problems.push(`maildirRoot: ${config.maildirRoot}: ${(error as Error).message}`);
  }
  if (config.user !== undefined && lookupSystemUser(config.user) === null) {
    problems.push(`user: no system user ${JSON.stringify(config.user)}`);
  }
  const hostname = config.hostname ?? os.hostname();
  const problem = apopHostNameProblem(hostname);
  if (problem !== null) {
    problems.push(`hostname: ${problem}; it cannot go into an APOP timestamp, set --hostname`);
  }
  if (problems.length > 0)
    throw new CliError({ exitCode: ExitCode.config, message: problems.join("\n") });
  return { config, users, tls, hostname, warnings };
}

function linesOf(error: unknown): readonly string[] {
  if (error instanceof CliError) return error.lines;
  throw error;
}
