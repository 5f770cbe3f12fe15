import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** The built entry point of one of our programs, from its package's `bin`. */
function programPath(packageName: string, binName: string): string {
  const manifestPath = require.resolve(`${packageName}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    bin?: Record<string, string>;
  };
  const bin = manifest.bin?.[binName];
  if (bin === undefined) throw new Error(`interop: ${packageName} has no bin ${binName}`);
  return join(dirname(manifestPath), bin);
}

/** `apop-server`, as built by `npm run build` (apps/server/dist/main.js). */
export const APOP_SERVER = programPath("@apop/server", "apop-server");

/** The `apop` CLI, as built by `npm run build` (apps/client/dist/main.js). */
export const APOP_CLI = programPath("@apop/cli", "apop");

/** Bun (the npm package `bun`, pinned in the root package.json), to run our programs under. */
export const BUN = programPath("bun", "bun");

/** Throws one line when a program is not built: the suite tests the real programs only. */
export function checkPrograms(): void {
  const missing = [APOP_SERVER, APOP_CLI].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    throw new Error(`interop: not built: ${missing.join(", ")}; run \`npm run build\` first`);
  }
}
