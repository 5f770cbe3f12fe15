import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { isProcessAlive } from "./is-process-alive.ts";

describe("isProcessAlive", () => {
  it("is true for this process", () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });

  it("is true for a process of another user (EPERM): pid 1 runs as root", () => {
    // As root the probe succeeds outright; either way pid 1 exists.
    expect(isProcessAlive(1)).toBe(true);
  });

  it("is false for a process that has exited and been reaped (ESRCH)", async () => {
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    const pid = child.pid;
    expect(pid).toBeTypeOf("number");
    await once(child, "exit");
    // Node reaps the child on exit, so the pid is free (reuse within this instant is remote).
    expect(isProcessAlive(pid as number)).toBe(false);
  });

  it.each([0, -1, -4242, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    "never probes the bad pid %s and counts it as alive, so no lock is broken on it",
    (pid) => {
      expect(isProcessAlive(pid)).toBe(true);
    },
  );
});
