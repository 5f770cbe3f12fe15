/**
 * A real workerd running the test Worker (test/workerd/harness.ts with the example Worker),
 * with the config of test/workerd/config.capnp, in a temporary folder of its own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import type { TestPki } from "../../../../tooling/test-pki/test-pki.ts";

const here = import.meta.dirname;

export interface Workerd {
  /** The URL of the Worker's HTTP socket on 127.0.0.1. */
  readonly url: string;
  /** POSTs `body` as JSON to `path` on the Worker and returns the JSON answer. */
  post<T>(path: string, body: unknown): Promise<T>;
  /** What workerd printed, for failure messages. */
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Bundles the harness as a Worker is deployed (the built `@apop/workers` and `@apop/core`
 * inside, `cloudflare:sockets` left to the runtime), then starts workerd with `env` (the
 * config's `fromEnvironment` bindings) and the test CA as the only trusted one. Resolves once
 * workerd reports its port on the control pipe; rejects with its output if it exits first.
 */
export async function startWorkerd(options: {
  readonly pki: TestPki;
  readonly env: Readonly<Record<string, string>>;
}): Promise<Workerd> {
  const dir = mkdtempSync(join(tmpdir(), "apop-workerd-"));
  copyFileSync(join(here, "../workerd/config.capnp"), join(dir, "config.capnp"));
  copyFileSync(options.pki.caFile, join(dir, "ca.crt"));
  await build({
    entryPoints: [join(here, "../workerd/harness.ts")],
    outfile: join(dir, "harness.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    external: ["cloudflare:sockets"],
    logLevel: "error",
  });
  const binary = createRequire(import.meta.url).resolve("workerd/bin/workerd");
  const child = spawn(binary, ["serve", "config.capnp", "--control-fd=3"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await listeningPort(child, () => output);
    const url = `http://127.0.0.1:${port}`;
    return {
      url,
      output: () => output,
      post: async <T>(path: string, body: unknown): Promise<T> => {
        const response = await fetch(`${url}${path}`, {
          method: "POST",
          body: JSON.stringify(body),
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${path}: ${response.status} ${text}\n${output}`);
        return JSON.parse(text) as T;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads workerd's control pipe until it reports the `http` socket's port. */
function listeningPort(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let control = "";
    child.stdio[3]?.on("data", (chunk: Buffer) => {
      control += chunk.toString();
      for (const line of control.split("\n")) {
        if (line.trim() === "") continue;
        const event = JSON.parse(line) as { event?: string; socket?: string; port?: number };
        if (event.event === "listen" && event.socket === "http" && event.port !== undefined) {
          resolve(event.port);
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`workerd exited (${code}):\n${output()}`)));
    child.once("error", reject);
  });
}
