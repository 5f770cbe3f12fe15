import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";

/**
 * Every child process the harness starts, so that none outlives the run: a test file's
 * `afterAll` stops its own, and if the worker dies first, the `exit` hook below kills what is
 * left. Children run in their own process group (`detached`), so that a peer that forks
 * (Dovecot's master starts auth, login and pop3 processes) is ended with all its helpers,
 * by the group id of the one process we started.
 */
const running = new Set<ChildProcess>();

process.on("exit", () => {
  for (const child of running) signalGroup(child, "SIGKILL");
});

/** `spawn`, remembered until the child exits. */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child = spawn(command, [...args], { ...options, detached: true });
  running.add(child);
  child.once("exit", () => running.delete(child));
  child.once("error", () => running.delete(child));
  return child;
}

/** Sends a signal to the child's process group (and to the child, if the group is gone). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops a child: `signal` first, then SIGKILL to its group after `graceMs`. Resolves once
 * it has exited. Safe to call twice.
 */
export async function stopChild(
  child: ChildProcess,
  options: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child, options.signal ?? "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), options.graceMs ?? 5_000);
  await exited;
  clearTimeout(timer);
  // Helpers of the group that ignored the first signal (none should) go now.
  try {
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is empty
  }
}

/**
 * Stops every child still running (a test file's `afterAll`, after its own servers): a
 * peer left over by a failed or timed-out check must not outlive the file.
 */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, { graceMs: 2_000 })));
}
