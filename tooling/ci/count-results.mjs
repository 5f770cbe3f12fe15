// Prints one plain line, `N passed, N failed`, from the machine-readable results the test
// runs leave behind: vitest's JSON reports and Deno's JUnit XML, in every workspace's
// `.vitest-results/` folder. CI reads this line; vitest's own summary is not recognised.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "../..");
let passed = 0;
let failed = 0;
let files = 0;

for (const group of ["packages", "apps", "tooling"]) {
  const groupDir = join(root, group);
  if (!existsSync(groupDir)) continue;
  for (const name of readdirSync(groupDir)) {
    const dir = join(groupDir, name, ".vitest-results");
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), "utf8");
      files++;
      if (file.endsWith(".json")) {
        const report = JSON.parse(text);
        passed += report.numPassedTests ?? 0;
        failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
      } else if (file.endsWith(".xml")) {
        const cases = text.match(/<testcase\b/g)?.length ?? 0;
        const failures = text.match(/<(failure|error)\b/g)?.length ?? 0;
        passed += cases - failures;
        failed += failures;
      }
    }
  }
}

if (files === 0) failed += 1; // no results at all is a failure, not a pass
console.log(`${passed} passed, ${failed} failed`);
