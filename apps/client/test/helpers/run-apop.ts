/**
 * Runs the built program, `node dist/main.js`, as a child process with a clean environment:
 * a temporary HOME and XDG_STATE_HOME, no NETRC, no inherited APOP_PASSWORD.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const APP_DIR = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** HOME; XDG_STATE_HOME is `<home>/state` unless given in `env`. */
  readonly home: string;
  readonly env?: Record<string, string | undefined>;
  /** Run through `bash -c` with this prefix (e.g. `ulimit -f 128;`). */
  readonly shellPrefix?: string;
}

export function spawnApop(args: readonly string[], options: RunOptions): ChildProcess {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(APOP_|NETRC$|MAILDIR$|XDG_STATE_HOME$|NO_COLOR$)/.test(key))
      env[key] = value;
  }
  env.HOME = options.home;
  env.XDG_STATE_HOME = `${options.home}/state`;
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  if (options.shellPrefix !== undefined) {
    const quoted = [MAIN, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
    return spawn("bash", ["-c", `${options.shellPrefix} exec node ${quoted}`], {
      env,
      stdio: "pipe",
    });
  }
  return spawn(process.execPath, [MAIN, ...args], { env, stdio: "pipe" });
}

/** Runs apop to the end and collects its output. */
export function runApop(args: readonly string[], options: RunOptions): Promise<RunResult> {
  return collect(spawnApop(args, options));
}

export function collect(child: ChildProcess): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (data: string) => {
    stdout += data;
  });
  child.stderr?.setEncoding("utf8").on("data", (data: string) => {
    stderr += data;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
