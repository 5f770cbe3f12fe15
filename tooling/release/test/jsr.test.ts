import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanEnv } from "../src/clean-env.ts";
import { run } from "../src/run.ts";
import { publishableWorkspaces, REPO_ROOT } from "../src/workspaces.ts";

const deno = join(REPO_ROOT, "node_modules/.bin/deno");
const jsrPackages = publishableWorkspaces().filter((w) => {
  const path = join(REPO_ROOT, w.dir, "deno.json");
  return (
    existsSync(path) &&
    (JSON.parse(readFileSync(path, "utf8")) as { name?: string }).name !== undefined
  );
});

it("finds the JSR packages (deno.json with a name): @apop/deno at least", () => {
  expect(jsrPackages.map((w) => w.manifest.name)).toContain("@apop/deno");
});

// JSR cannot be reached from here (nor from CI), so the publish is a dry run; Deno resolves
// the npm dependencies from the workspace's node_modules, with their real version ranges.
describe.each(jsrPackages.map((w) => [w.manifest.name, w] as const))("%s", (_, w) => {
  it("passes `deno publish --dry-run` (slow types, file list) offline", async () => {
    const { stdout, stderr } = await run({
      command: deno,
      args: ["publish", "--unstable-sloppy-imports", "--dry-run", "--allow-dirty"],
      cwd: join(REPO_ROOT, w.dir),
      env: cleanEnv({ NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" }),
    });
    expect(`${stdout}${stderr}`).toContain("Success Dry run complete");
  });

  it("has documentation with no lint findings (`deno doc --lint`)", async () => {
    const exports = (
      JSON.parse(readFileSync(join(REPO_ROOT, w.dir, "deno.json"), "utf8")) as {
        exports: string | Record<string, string>;
      }
    ).exports;
    const files = typeof exports === "string" ? [exports] : Object.values(exports);
    await run({
      command: deno,
      args: ["doc", "--unstable-sloppy-imports", "--lint", ...files],
      cwd: join(REPO_ROOT, w.dir),
      env: cleanEnv({ NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" }),
    });
  });
});
