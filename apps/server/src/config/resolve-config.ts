import { homedir } from "node:os";
import path from "node:path";
import { CliError } from "@apop/cli-kit";
import type { z } from "zod";
import { ExitCode } from "../cli/exit-code.ts";
import type { CommandLine } from "../cli/parse-command-line.ts";
import { type ConfigLayer, getPath, mergeLayers, sourceOf } from "./config-layer.ts";
import { readConfigFile } from "./read-config-file.ts";
import { readEnvLayer } from "./read-env-layer.ts";
import {
  missingUserSource,
  type ServerConfig,
  serverConfigSchema,
} from "./server-config-schema.ts";

/**
 * Where the demo keeps its users file and Maildir unless `--data-dir` says otherwise:
 * `$XDG_STATE_HOME/apop-server/demo`, else `~/.local/state/apop-server/demo` (the XDG Base
 * Directory specification's place for state that outlives a run), so that `npx @apop/server`
 * never writes into the folder it was started from. `npm start` in the repository passes
 * `--data-dir data/demo` instead (git ignores `data/`).
 */
export function defaultDemoDir(env: Readonly<Record<string, string | undefined>>): string {
  const base = env.XDG_STATE_HOME;
  // The specification says a relative value is invalid and must be ignored.
  const stateHome = base?.startsWith("/")
    ? base
    : path.join(env.HOME ?? homedir(), ".local", "state");
  return path.join(stateHome, "apop-server", "demo");
}

/** The demo listens here: loopback, and above 1023 so that it needs no privileges. */
export const DEMO_LISTEN = "127.0.0.1:1110";

/** The demo's webmail page: loopback too, so it needs no certificate. */
export const DEMO_WEB = "127.0.0.1:8110";

export interface ResolvedConfig {
  readonly config: ServerConfig;
  /** Set when the demo preset is the bottom layer. */
  readonly demoDir: string | undefined;
  /** Things worth a log line that do not stop the server. */
  readonly warnings: readonly string[];
}

/**
 * The configuration from every source, later ones winning: the demo preset (with `--demo`,
 * `--data-dir`, or no arguments and no `APOP_SERVER_*` variables), the config file
 * (`--config` or `APOP_SERVER_CONFIG`), the `APOP_SERVER_*` variables, then the flags.
 *
 * Throws `CliError` (exit 2) listing every problem, one per line, as
 * `config: <path>: <reason> (from <source>)`.
 */
export function resolveConfig(options: {
  commandLine: CommandLine;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): ResolvedConfig {
  const { commandLine, env, cwd } = options;
  const { layer: envLayer, warnings } = readEnvLayer({ env, cwd });
  const layers: ConfigLayer[] = [];
  const envSetsSomething = Object.keys(env).some((name) => name.startsWith("APOP_SERVER_"));
  const demo =
    commandLine.demo || (commandLine.command === "run" && commandLine.bare && !envSetsSomething);
  const demoDir = demo ? path.resolve(cwd, commandLine.dataDir ?? defaultDemoDir(env)) : undefined;
  if (demoDir !== undefined) layers.push(demoLayer(demoDir));
  const configFile = commandLine.configFile ?? nonEmpty(env.APOP_SERVER_CONFIG);
  if (configFile !== undefined) layers.push(readConfigFile(path.resolve(cwd, configFile)));
  layers.push(envLayer, commandLine.flags);
  const merged = mergeLayers(layers);
  const result = serverConfigSchema.safeParse(merged);
  const noUsers = missingUserSource(merged);
  if (!result.success || noUsers !== null) {
    throw new CliError({
      exitCode: ExitCode.config,
      message: [
        ...(noUsers === null ? [] : [`config: users: ${noUsers}`]),
        ...(result.success
          ? []
          : result.error.issues.flatMap((issue) => formatIssue(issue, merged, layers))),
      ].join("\n"),
    });
  }
  return { config: result.data, demoDir, warnings };
}

/** The demo's settings: the lowest layer, so a flag can still move its port. */
function demoLayer(dir: string): ConfigLayer {
  return {
    values: {
      listen: [DEMO_LISTEN],
      web: DEMO_WEB,
      users: path.join(dir, "users"),
      maildirRoot: path.join(dir, "mail"),
    },
    source: () => "--demo",
  };
}

/**
 * `config: listen[0].port: expected ... (from --listen)`. Array indexes are shown only where
 * the value really was a list, so `"listen": {"port": 0.5}` reads `listen.port`.
 */
function formatIssue(
  issue: z.core.$ZodIssue,
  merged: Record<string, unknown>,
  layers: readonly ConfigLayer[],
): string[] {
  const keys = issue.path.map(String);
  const names =
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...keys, key]) : [keys];
  const reason =
    issue.code === "unrecognized_keys"
      ? "unknown setting"
      : issue.message.replace(/^Invalid input: /, "");
  return names.map((name) => {
    let shown = "";
    name.forEach((key, i) => {
      const parent = getPath(merged, name.slice(0, i));
      if (Array.isArray(parent)) shown += `[${key}]`;
      // A single value that the schema wrapped into a list: the index means nothing to the user.
      else if (/^\d+$/.test(key) && getPath(parent, [key]) === undefined) return;
      else shown += shown === "" ? key : `.${key}`;
    });
    const source = sourceOf(layers, name);
    return `config: ${shown === "" ? "(top level)" : shown}: ${reason}${source === undefined ? "" : ` (from ${source})`}`;
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
