import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { builtServer } from "./built-server.ts";
import { cleanEnv } from "./run-cli.ts";

/** One JSON log line of the server. */
export interface LogRecord {
  readonly time: string;
  readonly level: string;
  readonly event: string;
  readonly [field: string]: unknown;
}

/**
 * The built server running as a child process, its stdout parsed as JSON log lines. Waits
 * are event-driven (a log record, the exit), never timed: vitest's test timeout is the
 * only clock.
 */
export class ServerProcess {
  readonly logs: LogRecord[] = [];
  /** Everything written to stdout, for greps over the raw text. */
  stdout = "";
  stderr = "";
  /** stdout lines that are not JSON: there should be none. */
  readonly nonJsonLines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #child: ChildProcessWithoutNullStreams;
  #waiters: { predicate: (record: LogRecord) => boolean; resolve: (record: LogRecord) => void }[] =
    [];
  #stderrWaiters: { text: string; resolve: () => void }[] = [];
  #partial = "";

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => this.#onStdout(chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
      const waiters = this.#stderrWaiters;
      this.#stderrWaiters = [];
      for (const waiter of waiters) {
        if (this.stderr.includes(waiter.text)) waiter.resolve();
        else this.#stderrWaiters.push(waiter);
      }
    });
    this.exited = new Promise((resolve) => {
      child.on("close", (code, signal) => resolve({ code, signal }));
    });
  }

  /**
   * Starts `node dist/main.js ...args` and resolves once it logs `started`. Rejects with
   * its stderr when it exits first (a configuration problem, a port in use).
   */
  static async start(
    args: readonly string[],
    options: { env?: Record<string, string>; cwd?: string } = {},
  ): Promise<ServerProcess> {
    const child = spawn(process.execPath, [builtServer(), ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: cleanEnv(options.env),
    });
    const server = new ServerProcess(child);
    const outcome = await Promise.race([
      server.waitForLog((record) => record.event === "started").then(() => "started" as const),
      server.exited,
    ]);
    if (outcome !== "started") {
      throw new Error(`apop-server exited with ${outcome.code} before starting:\n${server.stderr}`);
    }
    return server;
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** The bound port of the first listener of that kind. */
  port(tls: "none" | "starttls" | "implicit"): number {
    const record = this.logs.find((r) => r.event === "listening" && r.tls === tls);
    if (record === undefined) throw new Error(`no ${tls} listener in the logs`);
    return record.port as number;
  }

  /** The first record (already logged or still to come) that matches. */
  waitForLog(predicate: (record: LogRecord) => boolean): Promise<LogRecord> {
    const seen = this.logs.find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ predicate, resolve }));
  }

  /** Waits for the n-th record (1-based) matching, counting those already logged. */
  async waitForCount(predicate: (record: LogRecord) => boolean, count: number): Promise<void> {
    while (this.logs.filter(predicate).length < count) {
      const before = this.logs.length;
      await this.waitForLog((record) => this.logs.indexOf(record) >= before && predicate(record));
    }
  }

  /** Resolves once stderr contains `text`. */
  waitForStderr(text: string): Promise<void> {
    if (this.stderr.includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.#stderrWaiters.push({ text, resolve }));
  }

  signal(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  /** SIGTERM (unless already gone) and wait for the exit. For `afterEach`. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill("SIGTERM");
    await this.exited;
  }

  #onStdout(chunk: string): void {
    this.stdout += chunk;
    const lines = (this.#partial + chunk).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line === "") continue;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        this.nonJsonLines.push(line);
        continue;
      }
      this.logs.push(record);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) {
        if (waiter.predicate(record)) waiter.resolve(record);
        else this.#waiters.push(waiter);
      }
    }
  }
}
