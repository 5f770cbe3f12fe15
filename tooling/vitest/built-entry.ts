/**
 * A package's built entry point, for tests that run it as a child process (plain `node`
 * cannot load the `.ts` sources): `tsup` runs first when the entry is missing or older than a
 * source file, so a test never runs stale code. Under `npm test` turbo has just built it and
 * this is a no-op, which matters: tsup cleans `dist/` first, and other packages' suites may be
 * running that very file at the same time (the interop suite runs apop's and apop-server's).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** The newest modification time among the files under `dir` (recursively), or 0. */
function newestIn(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && !entry.name.endsWith(".test.ts")) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

export function builtEntry(options: {
  /** The package folder (holds `src/`, `dist/` and `tsup.config.ts`). */
  readonly packageDir: string;
  /** The entry point inside the package, `dist/main.js`. */
  readonly entry: string;
  /**
   * Other folders whose changes call for a rebuild: the `dist/` of workspace packages that
   * the build bundles in.
   */
  readonly alsoWatch?: readonly string[];
}): string {
  const { packageDir, alsoWatch = [] } = options;
  const entry = path.join(packageDir, options.entry);
  const newest = Math.max(
    newestIn(path.join(packageDir, "src")),
    statSync(path.join(packageDir, "tsup.config.ts")).mtimeMs,
    ...alsoWatch.map(newestIn),
  );
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest) {
    execFileSync("npx", ["tsup"], { cwd: packageDir, stdio: "ignore" });
  }
  return entry;
}
