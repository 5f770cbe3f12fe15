// `deno publish` in every workspace that has a deno.json with a name (today @apop/deno).
// Usage: node publish-jsr.mjs [--dry-run]   (other arguments go to `deno publish` as they are)
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "../../..");
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const deno = join(root, "node_modules/.bin/deno");
let failed = false;

for (const pattern of rootManifest.workspaces ?? []) {
  const group = pattern.replace(/\/\*$/, "");
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    const denoPath = join(dir, "deno.json");
    if (!existsSync(denoPath) || JSON.parse(readFileSync(denoPath, "utf8")).name === undefined) {
      continue;
    }
    console.log(`deno publish ${process.argv.slice(2).join(" ")} (${group}/${name})`);
    const result = spawnSync(deno, ["publish", ...process.argv.slice(2)], {
      cwd: dir,
      stdio: "inherit",
    });
    if (result.status !== 0) failed = true;
  }
}
process.exit(failed ? 1 : 0);
