// Run by the root `version` script right after `changeset version`: every workspace that
// also publishes to JSR (it has a deno.json with a name) gets its package.json's version in
// its deno.json, so npm and JSR release the same number.
// Usage: node sync-versions.mjs [repository-root]   (default: this repository)
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2] ?? join(import.meta.dirname, "../../..");
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

for (const pattern of rootManifest.workspaces ?? []) {
  const group = pattern.replace(/\/\*$/, "");
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    const denoPath = join(dir, "deno.json");
    if (!existsSync(denoPath) || !existsSync(join(dir, "package.json"))) continue;
    const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const deno = JSON.parse(readFileSync(denoPath, "utf8"));
    if (deno.name === undefined || deno.version === version) continue;
    deno.version = version;
    writeFileSync(denoPath, `${JSON.stringify(deno, null, 2)}\n`);
    console.log(`${group}/${name}/deno.json: ${version}`);
  }
}
