import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError } from "@apop/cli-kit";
import { type ConfigLayer, layerFromSettings } from "../config/config-layer.ts";
import { SETTINGS } from "../config/settings.ts";
import { ExitCode } from "./exit-code.ts";
import type { HelpTopic } from "./help-text.ts";

/** What the program was asked to do. */
export type CommandName = "run" | "check-config" | "add-user" | "help" | "version";

export interface CommandLine {
  readonly command: CommandName;
  /** The settings given as flags, the top layer of the configuration. */
  readonly flags: ConfigLayer;
  /** `--config FILE`. */
  readonly configFile: string | undefined;
  /** `--demo`, or `--data-dir` (which only the demo uses). */
  readonly demo: boolean;
  /** `--data-dir DIR`: where the demo keeps its users file and Maildir. */
  readonly dataDir: string | undefined;
  /** No arguments at all: `apop-server` alone runs the demo. */
  readonly bare: boolean;
  /** add-user: the user name. */
  readonly userName: string | undefined;
  /** add-user: `--scheme`. */
  readonly scheme: string | undefined;
  /** add-user: `--force` replaces an existing user. */
  readonly force: boolean;
  /** help: the command whose help was asked for (`help add-user`, `add-user --help`). */
  readonly helpTopic: HelpTopic | undefined;
}

const COMMANDS = new Set<string>(["check-config", "add-user", "help"]);

/** Flags that are not settings; `scheme` and `force` belong to add-user alone. */
const META_OPTIONS = {
  config: { type: "string" },
  demo: { type: "boolean" },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  scheme: { type: "string" },
  force: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

/**
 * Parses `process.argv.slice(2)`. Throws `CliError` (exit 2) for an unknown flag, a missing
 * value, a stray argument or a flag that does not belong to the command; the message points
 * at `--help`.
 */
export function parseCommandLine(options: { argv: readonly string[]; cwd: string }): CommandLine {
  const settingOptions = Object.fromEntries(
    SETTINGS.map((setting) => [
      setting.flag,
      {
        type: setting.kind === "boolean" ? ("boolean" as const) : ("string" as const),
        multiple: setting.kind === "list",
      },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...options.argv],
      options: { ...settingOptions, ...META_OPTIONS },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usage(describeParseError(error as Error));
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  const positionals = parsed.positionals;
  const first = positionals[0];
  let command: CommandName = "run";
  if (first !== undefined) {
    if (!COMMANDS.has(first)) throw usage(`unknown command ${JSON.stringify(first)}`);
    command = first as CommandName;
  }
  let helpTopic: HelpTopic | undefined;
  if (command === "help" && positionals[1] !== undefined) {
    const topic = positionals[1];
    if (topic !== "check-config" && topic !== "add-user") {
      throw usage(`no command ${JSON.stringify(topic)} to help with`);
    }
    helpTopic = topic;
  }
  if (values.help === true) {
    if (command === "check-config" || command === "add-user") helpTopic = command;
    command = "help";
  } else if (values.version === true) command = "version";
  const userName = command === "add-user" ? positionals[1] : undefined;
  const allowedPositionals = command === "add-user" ? 2 : command === "run" ? 0 : 1;
  if (command !== "help" && positionals.length > allowedPositionals) {
    throw usage(`unexpected argument ${JSON.stringify(positionals[allowedPositionals])}`);
  }
  if (command === "add-user" && userName === undefined) {
    throw usage("add-user needs a user name: apop-server add-user NAME --users FILE");
  }
  if (command !== "add-user" && command !== "help") {
    for (const flag of ["scheme", "force"]) {
      if (values[flag] !== undefined) throw usage(`--${flag} belongs to add-user`);
    }
  }
  const flags = layerFromSettings({
    read: (setting) => values[setting.flag],
    source: (setting) => `--${setting.flag}`,
    baseDir: options.cwd,
  });
  const dataDir = values["data-dir"] as string | undefined;
  return {
    command,
    flags,
    configFile: values.config as string | undefined,
    demo: values.demo === true || dataDir !== undefined,
    dataDir,
    bare: options.argv.length === 0,
    userName,
    scheme: values.scheme as string | undefined,
    force: values.force === true,
    helpTopic,
  };
}

/** Node's parseArgs messages mention positionals and `--`; ours only say what was wrong. */
function describeParseError(error: Error): string {
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option !== undefined) {
    return `unknown option ${option}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option !== undefined) {
    return /argument missing/.test(error.message)
      ? `${option} needs a value`
      : `${option} does not take a value`;
  }
  return error.message;
}

function usage(problem: string): CliError {
  return new CliError({
    exitCode: ExitCode.config,
    message: `apop-server: ${problem} (see apop-server --help)`,
  });
}
