import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const script = join(import.meta.dirname, "count-results.mjs");
const trees: string[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) rmSync(tree, { recursive: true, force: true });
});

/** A made-up repository holding these result files, counted by the script. */
function count(results: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "apop-count-"));
  trees.push(root);
  for (const [path, text] of Object.entries(results)) {
    const file = join(root, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, text);
  }
  return execFileSync(process.execPath, [script, root], { encoding: "utf8" }).trim();
}

// What `deno test --junit-path` 2.9.6 wrote for: a pass, an ignored test, a failure, and a
// test with two steps, the second ignored.
const DENO_JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="6" failures="1" errors="0" time="0.224">
    <testsuite name="./x_test.ts" tests="6" disabled="2" errors="0" failures="1">
        <testcase name="passes" classname="./x_test.ts" time="0.001" line="1" col="6">
        </testcase>
        <testcase name="ignored" classname="./x_test.ts" time="0.000" line="2" col="6">
            <skipped/>
        </testcase>
        <testcase name="fails" classname="./x_test.ts" time="0.001" line="3" col="6">
            <failure message="Uncaught Error: x">Error: x
Deno.test(&quot;fails&quot;, () =&gt; { throw new Error(&quot;x&quot;); });
                                 ^
    at file:///work/x_test.ts:3:34</failure>
        </testcase>
        <testcase name="steps" classname="./x_test.ts" time="0.037" line="4" col="6">
        </testcase>
        <testcase name="steps &gt; a" classname="./x_test.ts" time="0.000" line="4" col="43">
        </testcase>
        <testcase name="steps &gt; b" classname="./x_test.ts" time="0.000" line="4" col="72">
            <skipped/>
        </testcase>
    </testsuite>
</testsuites>
`;

// What `bun test --reporter=junit` 1.4.5 wrote for: a pass, a skip, a failure, a todo, and a
// pass inside a describe (a nested testsuite); passes are self-closing testcases.
const BUN_JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="5" assertions="2" failures="1" skipped="2" time="0.046354524">
  <testsuite name="x.test.ts" file="x.test.ts" tests="5" assertions="2" failures="1" skipped="2" time="0.003127286">
    <testcase name="passes" classname="" time="0.000037" file="x.test.ts" line="2" assertions="1" />
    <testcase name="skipped" classname="" time="0" file="x.test.ts" line="3" assertions="0">
      <skipped />
    </testcase>
    <testcase name="fails" classname="" time="0.000217" file="x.test.ts" line="4" assertions="1">
      <failure type="AssertionError" message="expect(received).toBe(expected)&#10;&#10;Expected: 2&#10;Received: 1&#10;">AssertionError: expect(received).toBe(expected)&#10;&#10;Expected: 2&#10;Received: 1&#10;&#10;      at x.test.ts:4:31&#10;</failure>
    </testcase>
    <testcase name="todo" classname="" time="0" file="x.test.ts" line="5" assertions="0">
      <skipped message="TODO" />
    </testcase>
    <testsuite name="group" file="x.test.ts" line="6" tests="1" assertions="0" failures="0" skipped="0" time="0">
      <testcase name="inner passes" classname="group" time="0.000016" file="x.test.ts" line="6" assertions="0" />
    </testsuite>
  </testsuite>
</testsuites>
`;

describe("count-results", () => {
  it("counts Deno's ignored tests and steps as skipped, never as passed", () => {
    expect(count({ "packages/deno/.vitest-results/deno-junit.xml": DENO_JUNIT })).toBe(
      "3 passed, 1 failed, 2 skipped",
    );
  });

  it("counts vitest's skipped and todo tests as skipped, and adds every workspace up", () => {
    const vitest = JSON.stringify({
      numPassedTests: 5,
      numFailedTests: 1,
      numRuntimeErrorTestSuites: 1,
      numPendingTests: 2,
      numTodoTests: 1,
    });
    expect(
      count({
        "packages/core/.vitest-results/_apop_core.json": vitest,
        "apps/client/.vitest-results/_apop_cli.json": vitest,
        "packages/deno/.vitest-results/deno-junit.xml": DENO_JUNIT,
      }),
    ).toBe("13 passed, 5 failed, 8 skipped");
  });

  it("counts Bun's JUnit: self-closing passes, skips and todos as skipped, failures", () => {
    expect(count({ "packages/node/.vitest-results/bun-junit.xml": BUN_JUNIT })).toBe(
      "2 passed, 1 failed, 2 skipped",
    );
  });

  it("reports a run that left no results as a failure", () => {
    expect(count({ "packages/core/README.md": "no results here" })).toBe(
      "0 passed, 1 failed, 0 skipped",
    );
  });
});
