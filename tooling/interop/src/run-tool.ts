import { signalGroup, spawnTracked } from "./children.ts";

/** What a finished tool run left behind. */
export interface ToolResult {
  readonly command: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** True when the run was stopped after `timeoutMs`. */
  readonly timedOut: boolean;
}

/**
 * Runs a peer program to its end and collects its output as bytes. Never rejects for the
 * tool's own failure (exit code, signal, timeout): the caller decides, with `describeRun` for
 * the message. Rejects only when the program cannot be started at all.
 *
 * The timeout is a guard against a hung peer, not an assertion: it is generous, and a run
 * that hits it fails with the tool's output so far.
 */
export async function runTool(options: {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string | Buffer;
  timeoutMs?: number;
  uid?: number;
  gid?: number;
}): Promise<ToolResult> {
  const child = spawnTracked(options.command, options.args, {
    stdio: ["pipe", "pipe", "pipe"],
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin?.on("error", () => {});
  child.stdin?.end(options.input ?? "");
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalGroup(child, "SIGKILL");
  }, options.timeoutMs ?? 120_000);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.once("error", reject);
        child.once("close", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
      },
    );
    return {
      command: [options.command, ...options.args].join(" "),
      code,
      signal,
      stdout: Buffer.concat(stdout),
      stderr: Buffer.concat(stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** One paragraph about a run, for an assertion message: command, status, the output's tail. */
export function describeRun(result: ToolResult): string {
  const status = result.timedOut
    ? "timed out"
    : result.signal !== null
      ? `killed by ${result.signal}`
      : `exit code ${result.code}`;
  const tail = (bytes: Buffer): string => {
    const text = bytes.toString("utf8");
    return text.length > 3000 ? `...${text.slice(-3000)}` : text;
  };
  return `${result.command}\n  ${status}\n  stdout: ${tail(result.stdout)}\n  stderr: ${tail(result.stderr)}`;
}

/** Runs a tool and throws, with its output, unless it exits with one of `okCodes` (default 0). */
export async function runToolOk(
  options: Parameters<typeof runTool>[0] & { okCodes?: readonly number[] },
): Promise<ToolResult> {
  const result = await runTool(options);
  const okCodes = options.okCodes ?? [0];
  if (result.timedOut || result.code === null || !okCodes.includes(result.code)) {
    throw new Error(`a peer run failed:\n${describeRun(result)}`);
  }
  return result;
}
