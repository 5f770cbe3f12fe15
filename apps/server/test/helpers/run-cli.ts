import { spawn } from "node:child_process";
import { builtServer } from "./built-server.ts";

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/main.js ...args` to completion. The environment is the test's minus every
 * `APOP_*` variable (so the developer's own settings cannot leak in), plus `env`.
 */
export function runCli(
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    input?: string;
    /** Start the program as this user (the test must run as root). */
    as?: { uid: number; gid: number };
    /** A command that runs the program, such as `["setpriv", ..., "--"]`. */
    wrap?: readonly string[];
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command = process.execPath, ...prefix] = [
      ...(options.wrap ?? []),
      ...(options.wrap === undefined ? [] : [process.execPath]),
    ];
    const child = spawn(command, [...prefix, builtServer(), ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.as === undefined ? {} : { uid: options.as.uid, gid: options.as.gid }),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** The test's environment without `APOP_*`, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("APOP_")) env[name] = value;
  }
  return { ...env, ...extra };
}
