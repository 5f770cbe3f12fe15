import { spawn } from "node:child_process";

export type RunResult = { code: number | null; stdout: string; stderr: string };

/**
 * Runs a program to its end and collects its output; throws (with the output in the message)
 * when it exits non-zero, unless `allowFailure` is set.
 */
export function run(options: {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  allowFailure?: boolean;
}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 && options.allowFailure !== true) {
        const shown = `${options.command} ${options.args.join(" ")}`;
        reject(new Error(`${shown} (in ${options.cwd}) exited ${code}\n${stdout}\n${stderr}`));
      } else {
        resolve({ code, stdout, stderr });
      }
    });
  });
}
