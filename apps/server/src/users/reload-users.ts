import { CliError } from "@apop/cli-kit";
import type { Logger } from "../serving/json-logger.ts";
import { loadUsersFile } from "./load-users-file.ts";
import type { UserDirectory } from "./user-directory.ts";

/**
 * Re-reads the users file (SIGHUP) and swaps it in. A file with any problem is not used at
 * all: the old users stay, and each problem is logged, so a half-edited file never locks
 * everyone out. Sessions are not touched either way.
 */
export async function reloadUsers(options: {
  file: string;
  directory: UserDirectory;
  logger: Logger;
}): Promise<boolean> {
  const { file, directory, logger } = options;
  try {
    const { users, warnings } = await loadUsersFile(file);
    for (const warning of warnings) logger.log("warn", "config-warning", { message: warning });
    directory.replace(users);
    logger.log("info", "users-reloaded", { file, ...directory.summary() });
    return true;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    logger.log("error", "users-reload-failed", {
      file,
      problems: error.lines,
      kept: directory.summary().users,
    });
    return false;
  }
}
