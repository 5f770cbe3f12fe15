// `deno publish` in every workspace that has a deno.json with a name (today @apop/deno).
// Usage: node publish-jsr.mjs [--dry-run]   (other arguments go to `deno publish` as they are)
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { jsrDirs, REPO_ROOT } from "./workspace-dirs.mjs";

const deno = join(REPO_ROOT, "node_modules/.bin/deno");
let failed = false;
for (const dir of jsrDirs(REPO_ROOT)) {
  console.log(`deno publish ${process.argv.slice(2).join(" ")} (${dir})`);
  const result = spawnSync(deno, ["publish", "--unstable-sloppy-imports", ...process.argv.slice(2)], {
    cwd: join(REPO_ROOT, dir),
    stdio: "inherit",
  });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
