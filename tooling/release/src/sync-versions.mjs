// Run by the root `version` script right after `changeset version`: every workspace that
// also publishes to JSR (it has a deno.json with a name) gets its package.json's version in
// its deno.json, so npm and JSR release the same number.
// Usage: node sync-versions.mjs [repository-root]   (default: this repository)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsrDirs, REPO_ROOT } from "./workspace-dirs.mjs";

const root = process.argv[2] ?? REPO_ROOT;
for (const dir of jsrDirs(root)) {
  const { version } = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
  const denoPath = join(root, dir, "deno.json");
  const deno = JSON.parse(readFileSync(denoPath, "utf8"));
  if (deno.version === version) continue;
  deno.version = version;
  writeFileSync(denoPath, `${JSON.stringify(deno, null, 2)}\n`);
  console.log(`${dir}/deno.json: ${version}`);
}
