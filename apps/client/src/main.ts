/**
 * `apop`, the POP3 client program: parses the command line, runs one command, and turns
 * every failure into one line on stderr and an exit code (`exit-code.ts`). All POP3 work is
 * `@apop/core`'s `Pop3Client` over `@apop/node`'s sockets; this program only decides what to
 * fetch, where to put it, and in which order to make it safe.
 */

import { CliError, readVersion } from "@apop/cli-kit";
import type { CliContext } from "./cli/cli-context.ts";
import { ExitCode } from "./cli/exit-code.ts";
import { helpText } from "./cli/help-text.ts";
import { parseArguments } from "./cli/parse-arguments.ts";
import { capaCommand } from "./commands/capa-command.ts";
import { checkCommand } from "./commands/check-command.ts";
import { fetchCommand } from "./commands/fetch-command.ts";
import { listCommand } from "./commands/list-command.ts";

async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const { stdout, stderr, env } = process;
  routeWarnings();
  try {
    const parsed = parseArguments(argv);
    if (parsed.kind === "help") {
      stdout.write(helpText(parsed.topic));
      return ExitCode.ok;
    }
    if (parsed.kind === "version") {
      stdout.write(
        `apop ${readVersion({ packageJson: new URL("../package.json", import.meta.url) })}\n`,
      );
      return ExitCode.ok;
    }
    const { options } = parsed;
    const terminal = stderr.isTTY === true;
    const context: CliContext = {
      env,
      stdout,
      stderr,
      interactive: process.stdin.isTTY === true,
      progress: terminal && !options.quiet,
      color: terminal && (env.NO_COLOR === undefined || env.NO_COLOR === ""),
      warn: (message) => stderr.write(`apop: warning: ${message}\n`),
      info: (message) => {
        if (!options.quiet) stderr.write(`apop: ${message}\n`);
      },
    };
    switch (options.command) {
      case "fetch":
        await fetchCommand(options, context);
        break;
      case "list":
        await listCommand(options, context);
        break;
      case "check":
        await checkCommand(options, context);
        break;
      case "capa":
        await capaCommand(options, context);
        break;
      default: {
        const unreachable: never = options.command;
        throw new Error(`unknown command ${String(unreachable)}`);
      }
    }
    return ExitCode.ok;
  } catch (error) {
    const failure =
      error instanceof CliError
        ? error
        : new CliError({
            exitCode: ExitCode.internal,
            message: `internal error: ${(error as Error)?.message ?? String(error)}`,
            cause: error,
          });
    stderr.write(`apop: ${failure.message}\n`);
    if (debug) stderr.write(`${stackOf(failure)}\n`);
    return failure.exitCode;
  }
}

/**
 * Node prints process warnings as `(node:1234) Warning: ...`. apop prints its own, in its own
 * words, so the one @apop/node emits for `--insecure` (already said louder) is dropped and
 * any other is shown as an apop warning.
 */
function routeWarnings(): void {
  process.removeAllListeners("warning");
  process.on("warning", (warning: Error & { code?: string }) => {
    if (warning.code === "APOP_TLS_UNVERIFIED") return;
    process.stderr.write(`apop: warning: ${warning.message}\n`);
  });
}

function stackOf(error: Error): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    parts.push(current.stack ?? String(current));
  }
  return parts.join("\ncaused by: ");
}

process.exitCode = await main(process.argv.slice(2));
