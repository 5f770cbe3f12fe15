import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv } from "../src/clean-env.ts";
import { run } from "../src/run.ts";
import { hasTypes, entryPoints, publishableWorkspaces, REPO_ROOT } from "../src/workspaces.ts";

const script = join(REPO_ROOT, "tooling/release/src/api-reports.mjs");
const typed = publishableWorkspaces().filter((w) =>
  entryPoints(w.manifest).some((entry) => hasTypes(w.manifest, entry)),
);

// The committed api/*.api.md must be what API Extractor makes of the built .d.ts today; a
// change to a public entry point without `npm run api:update` fails here.
describe.each(typed.map((w) => [w.manifest.name, w] as const))("%s", (_, w) => {
  it("has an up-to-date API report for every public entry point", async () => {
    const result = await run({
      command: process.execPath,
      args: [script, "--check", w.dir],
      cwd: REPO_ROOT,
      env: cleanEnv(),
      allowFailure: true,
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
