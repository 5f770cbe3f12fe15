import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

/** Runs the fixture file through vitest with `env`, and returns its counts. */
function run(env: Record<string, string | undefined>) {
  const out = mkdtempSync(join(tmpdir(), "apop-needs-"));
  try {
    const file = join(out, "results.json");
    try {
      execFileSync(
        process.execPath,
        [
          join(import.meta.dirname, "../../node_modules/vitest/vitest.mjs"),
          "run",
          "--root",
          join(import.meta.dirname, "fixtures/needs"),
          "--config",
          join(import.meta.dirname, "fixtures/needs/vitest.config.mjs"),
          "--reporter",
          "json",
          "--outputFile",
          file,
        ],
        { env: { ...process.env, ...env }, stdio: "ignore" },
      );
    } catch {
      // vitest exits 1 when a test failed: the counts say which.
    }
    const report = JSON.parse(readFileSync(file, "utf8"));
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

it("a contributor's run skips what it cannot run, and says so in the count", () => {
  expect(run({ CI: undefined })).toEqual({ passed: 1, failed: 0, skipped: 2 });
}, 120_000);

it("a CI run fails what it cannot run, suites included: nothing passes by not running", () => {
  expect(run({ CI: "true" })).toEqual({ passed: 1, failed: 2, skipped: 0 });
}, 120_000);
