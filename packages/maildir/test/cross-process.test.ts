import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { StoreError } from "@apop/core";
import { beforeAll, describe, expect, it } from "vitest";
import { createMaildirStore } from "../src/create-maildir-store.ts";
import { builtPackage } from "./built-package.ts";
import { makeMaildir, makeRoot, rejection } from "./fixture.ts";

let entry: string;

beforeAll(() => {
  entry = pathToFileURL(builtPackage()).href;
}, 120_000);

interface Child {
  readonly process: ChildProcess;
  /** Resolves once the child has loaded the package and waits for "go". */
  readonly ready: Promise<string>;
  /** Resolves with the first line the child prints. */
  readonly result: Promise<string>;
  send(line: string): void;
  exited(): Promise<void>;
}

/**
 * A child process that opens a maildrop through the built package when it reads "go" on
 * stdin, prints `locked` or the StoreError code, then, holding the lock, either waits for
 * "release" (`hold`) or exits at once without releasing (`crash`).
 */
function child(root: string, user: string, mode: "hold" | "crash"): Child {
  const script = `
    const { createMaildirStore } = await import(${JSON.stringify(entry)});
    const store = createMaildirStore({ root: ${JSON.stringify(root)} });
    const lines = [];
    let wake;
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d) => { lines.push(...d.split("\\n")); wake?.(); });
    const next = async (word) => { while (!lines.includes(word)) await new Promise((r) => (wake = r)); };
    process.stdout.write("ready\\n");
    await next("go");
    let drop;
    try {
      drop = await store.open(${JSON.stringify(user)});
      process.stdout.write("locked\\n");
    } catch (error) {
      process.stdout.write((error.code ?? String(error)) + "\\n");
      process.exit(0);
    }
    if (${JSON.stringify(mode)} === "crash") process.exit(0);
    await next("release");
    await drop.release();
    process.exit(0);
  `;
  const proc = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  // A child that answered in-use has exited; a late write to it must not fail the run.
  proc.stdin?.on("error", () => undefined);
  let buffer = "";
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  proc.stdout?.setEncoding("utf8");
  proc.stdout?.on("data", (data: string) => {
    buffer += data;
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    for (const wake of waiters.splice(0)) wake();
  });
  const line = async (n: number): Promise<string> => {
    while (lines.length <= n) await new Promise<void>((resolve) => waiters.push(resolve));
    return lines[n] as string;
  };
  const ready = line(0);
  return {
    process: proc,
    ready,
    result: ready.then(() => line(1)),
    send: (text) => proc.stdin?.write(`${text}\n`),
    exited: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) resolve();
        else proc.once("exit", () => resolve());
      }),
  };
}

describe("the maildrop lock across processes", () => {
  it("refuses a second session in another process with in-use, both ways", async () => {
    const root = makeRoot();
    makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const holder = child(root, "u", "hold");
    holder.send("go");
    expect(await holder.result).toBe("locked");
    const error = await rejection(createMaildirStore({ root }).open("u"));
    expect(StoreError.isInstance(error) && error.code).toBe("in-use");
    holder.send("release");
    await holder.exited();

    const drop = await createMaildirStore({ root }).open("u");
    const other = child(root, "u", "hold");
    other.send("go");
    expect(await other.result).toBe("in-use");
    await other.exited();
    await drop.release();
  });

  it("takes over at once the lock of a process that died holding it", async () => {
    const root = makeRoot();
    const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
    const crashed = child(root, "u", "crash");
    crashed.send("go");
    expect(await crashed.result).toBe("locked");
    await crashed.exited();
    const lockFile = path.join(maildir, "apop.lock");
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(crashed.process.pid);
    // The lock is fresh (default stale timeout 120 s), but its pid is dead.
    const drop = await createMaildirStore({ root }).open("u");
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    await drop.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it("lets exactly one of several processes racing for a stale lock win", async () => {
    for (let round = 0; round < 3; round++) {
      const root = makeRoot();
      const maildir = makeMaildir(root, "u", [{ name: "1700000000.a.host" }]);
      const lockFile = path.join(maildir, "apop.lock");
      writeFileSync(
        lockFile,
        JSON.stringify({ machine: "gone", pid: 1, processStart: "x", token: "old" }),
      );
      const old = (Date.now() - 10 * 60_000) / 1000;
      utimesSync(lockFile, old, old);
      const racers = Array.from({ length: 5 }, () => child(root, "u", "hold"));
      // Start all at once, when every child has loaded the package.
      await Promise.all(racers.map((r) => r.ready));
      for (const racer of racers) racer.send("go");
      const results = await Promise.all(racers.map((r) => r.result));
      expect(results.filter((r) => r === "locked")).toHaveLength(1);
      expect(results.filter((r) => r === "in-use")).toHaveLength(4);
      racers[results.indexOf("locked")]?.send("release");
      await Promise.all(racers.map((r) => r.exited()));
      expect(existsSync(lockFile)).toBe(false);
    }
  });
});
