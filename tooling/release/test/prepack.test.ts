import { describe, expect, it } from "vitest";
import { run } from "../src/run.ts";
import {
  allWorkspaces,
  type Manifest,
  publishableWorkspaces,
  REPO_ROOT,
} from "../src/workspaces.ts";

const workspaceNames = new Set(allWorkspaces().map((w) => w.manifest.name));
const manifests = new Map(allWorkspaces().map((w) => [w.manifest.name, w.manifest]));

/** Every workspace package `name` needs built first: its (dev) dependencies, transitively. */
function workspaceDependencies(manifest: Manifest, seen = new Set<string>()): Set<string> {
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  for (const name of names) {
    if (!workspaceNames.has(name) || seen.has(name)) continue;
    seen.add(name);
    const dependency = manifests.get(name);
    if (dependency !== undefined) workspaceDependencies(dependency, seen);
  }
  return seen;
}

// The real `prepack` would rewrite dist/ under the suites running beside this one, so this
// asks turbo what that command would run (a dry run) and compares it with the package graph.
describe.each(publishableWorkspaces().map((w) => [w.manifest.name, w] as const))("%s", (_, w) => {
  it("prepack builds the package and every workspace package it needs", async () => {
    const prepack = w.manifest.scripts?.prepack ?? "";
    // The script's own output goes to stderr (`>&2`) so that `npm pack --json` and
    // `npm publish --json` (which changesets reads) print only JSON on stdout.
    expect(prepack).toMatch(/ >&2$/);
    const args = prepack.replace(/ >&2$/, "").split(" ").slice(1);
    const { stdout } = await run({
      command: "npx",
      args: ["turbo", ...args, "--dry-run=json"],
      cwd: REPO_ROOT,
    });
    const tasks = (JSON.parse(stdout) as { tasks: { taskId: string }[] }).tasks.map(
      (t) => t.taskId,
    );
    const expected = [w.manifest.name, ...workspaceDependencies(w.manifest)]
      .filter((name) => manifests.get(name)?.scripts?.build !== undefined)
      .map((name) => `${name}#build`);
    expect(tasks.sort()).toEqual(expect.arrayContaining(expected.sort()));
    expect(tasks).toContain(`${w.manifest.name}#build`);
  });
});
