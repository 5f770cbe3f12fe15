/**
 * apop-server: the POP3 server program. Configuration, users, listeners, logs and signals;
 * every protocol rule lives in @apop/core, sockets in @apop/node, mail in @apop/maildir.
 * See README.md for flags, the config schema and the exit codes.
 */

import { CliError, readVersion } from "@apop/cli-kit";
import { ExitCode } from "./cli/exit-code.ts";
import { helpText } from "./cli/help-text.ts";
import { parseCommandLine } from "./cli/parse-command-line.ts";
import { addUserCommand } from "./commands/add-user-command.ts";
import { checkConfigCommand } from "./commands/check-config-command.ts";
import { runServer } from "./commands/run-server.ts";
import { resolveConfig } from "./config/resolve-config.ts";

async function main(argv: readonly string[]): Promise<ExitCode> {
  const cwd = process.cwd();
  const env = process.env;
  const stdout = (text: string): void => void process.stdout.write(text);
  const stderr = (text: string): void => void process.stderr.write(text);
  const version = readVersion({ packageJson: new URL("../package.json", import.meta.url) });
  const commandLine = parseCommandLine({ argv, cwd });
  switch (commandLine.command) {
    case "help":
      stdout(helpText({ version, topic: commandLine.helpTopic }));
      return ExitCode.ok;
    case "version":
      stdout(`${version}\n`);
      return ExitCode.ok;
    case "add-user":
      return addUserCommand({ commandLine, env, cwd, stderr });
    case "check-config":
      return checkConfigCommand({ resolved: resolveConfig({ commandLine, env, cwd }), stdout });
    case "run":
      return runServer({
        resolved: resolveConfig({ commandLine, env, cwd }),
        version,
        cwd,
        stderr,
      });
    default: {
      const unreachable: never = commandLine.command;
      return unreachable;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(error.exitCode);
    }
    // A bug: say so in one line; the stack only on request, never by default.
    const detail = process.env.APOP_SERVER_DEBUG_ERRORS ? (error as Error).stack : String(error);
    process.stderr.write(`apop-server: unexpected error: ${detail}\n`);
    process.exit(ExitCode.failure);
  },
);
