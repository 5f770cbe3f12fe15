import { readFile, stat } from "node:fs/promises";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { parseUsersFile, type UserEntry } from "./parse-users-file.ts";

/**
 * Reads and parses the users file. Throws `CliError` (exit 2) with one `users: FILE:LINE:
 * reason` line per problem, so that at start-up the server stops, and on SIGHUP the caller
 * can log the lines and keep the users it has.
 *
 * Warns when group or others may access the file: it holds clear secrets for APOP users,
 * and even hashes invite an offline dictionary attack.
 */
export async function loadUsersFile(
  file: string,
): Promise<{ users: Map<string, UserEntry>; warnings: string[] }> {
  let text: string;
  let mode: number;
  try {
    mode = (await stat(file)).mode;
    text = await readFile(file, "utf8");
  } catch (error) {
    throw failure([`users: cannot read ${file}: ${(error as Error).message}`]);
  }
  const { users, problems } = parseUsersFile({ text, file });
  if (problems.length > 0) throw failure(problems.map((problem) => `users: ${problem}`));
  const warnings: string[] = [];
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    warnings.push(
      `users: ${file} can be read by group or others (mode ${octal}); run chmod 600 on it`,
    );
  }
  if (users.size === 0) warnings.push(`users: ${file} defines no users; every login will fail`);
  return { users, warnings };
}

function failure(lines: string[]): CliError {
  return new CliError({ exitCode: ExitCode.config, message: lines.join("\n") });
}
