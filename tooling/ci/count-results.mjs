// Prints one plain line, `N passed, N failed, N skipped`, from the machine-readable results
// the test runs leave behind: vitest's JSON reports and the JUnit XML of Deno and Bun, in
// every workspace's `.vitest-results/` folder. CI reads this line; vitest's own summary is
// not recognised.
// Skipped tests are counted apart, never as passed (Deno writes an ignored test as a
// `<testcase>` holding `<skipped/>`).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// The repository, or the folder given (the tests count a made-up tree).
const root = process.argv[2] ?? join(import.meta.dirname, "../..");
let passed = 0;
let failed = 0;
let skipped = 0;
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
        skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      } else if (file.endsWith(".xml")) {
        const counts = countJunit(text);
        passed += counts.passed;
        failed += counts.failed;
        skipped += counts.skipped;
      }
    }
  }
}

if (files === 0) failed += 1; // no results at all is a failure, not a pass
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

/** One JUnit report: each `<testcase>` is failed (`<failure>`/`<error>`), skipped, or passed. */
function countJunit(xml) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [, body = ""] of xml.matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    if (/<(failure|error)\b/.test(body)) counts.failed++;
    else if (/<skipped\b/.test(body)) counts.skipped++;
    else counts.passed++;
  }
  return counts;
}
