import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv } from "../src/clean-env.ts";
import { run } from "../src/run.ts";
import {
  allWorkspaces,
  type Manifest,
  publishableWorkspaces,
  REPO_ROOT,
  readManifest,
} from "../src/workspaces.ts";

// The root `version` script on a copy of the manifests: `changeset version` with one minor
// changeset, then sync-versions.mjs. Afterwards every internal dependency must be a real
// range on the new version (never "*") and deno.json must carry the new version.
let dir = "";
const read = (path: string): Manifest =>
  JSON.parse(readFileSync(join(dir, path), "utf8")) as Manifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "apop-release-version-"));
  writeFileSync(join(dir, "package.json"), readFileSync(join(REPO_ROOT, "package.json")));
  mkdirSync(join(dir, ".changeset"));
  const config = JSON.parse(readFileSync(join(REPO_ROOT, ".changeset/config.json"), "utf8"));
  // The changelog generator is a module resolved from the repository; the copy needs none.
  writeFileSync(
    join(dir, ".changeset/config.json"),
    JSON.stringify({ ...config, changelog: false }),
  );
  for (const w of allWorkspaces()) {
    mkdirSync(join(dir, w.dir), { recursive: true });
    for (const file of ["package.json", "deno.json"]) {
      if (existsSync(join(REPO_ROOT, w.dir, file)))
        cpSync(join(REPO_ROOT, w.dir, file), join(dir, w.dir, file));
    }
  }
  writeFileSync(
    join(dir, ".changeset/release-check.md"),
    `---\n"@apop/core": minor\n---\n\nA change.\n`,
  );
  const bin = join(REPO_ROOT, "node_modules/@changesets/cli/bin.js");
  await run({ command: process.execPath, args: [bin, "version"], cwd: dir, env: cleanEnv() });
  await run({
    command: process.execPath,
    args: [join(REPO_ROOT, "tooling/release/src/sync-versions.mjs"), dir],
    cwd: dir,
    env: cleanEnv(),
  });
});

afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

const next = (version: string): string => {
  const [major, minor] = version.split(".").map(Number) as [number, number];
  return major === 0 ? `0.${minor + 1}.0` : `${major}.${minor + 1}.0`;
};

describe.each(publishableWorkspaces().map((w) => [w.manifest.name, w] as const))("%s", (_, w) => {
  const expected = next(readManifest(w.dir).version);

  it("moves with the fixed group, and its internal dependencies get a real range on it", () => {
    const manifest = read(`${w.dir}/package.json`);
    expect(manifest.version).toBe(expected);
    for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
      if (name.startsWith("@apop/")) expect(range, name).toBe(`^${expected}`);
    }
  });
});

const withDenoJson = publishableWorkspaces().filter((w) =>
  existsSync(join(REPO_ROOT, w.dir, "deno.json")),
);

describe.each(withDenoJson.map((w) => [w.manifest.name, w] as const))("%s", (_, w) => {
  it("keeps deno.json's version in step with package.json", () => {
    const deno = JSON.parse(readFileSync(join(dir, w.dir, "deno.json"), "utf8")) as {
      version: string;
    };
    expect(deno.version).toBe(next(readManifest(w.dir).version));
  });
});
