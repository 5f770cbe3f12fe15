import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * The built entry point `dist/index.js`, for child processes (plain `node` cannot load the
 * `.ts` sources). Runs `tsup` first when `dist/` is missing or older than a source file, so
 * the test never runs stale code; under turbo, `build` has already run.
 */
export function builtPackage(): string {
  const entry = path.join(packageDir, "dist", "index.js");
  const sources = readdirSync(path.join(packageDir, "src")).filter(
    (name) => !name.endsWith(".test.ts"),
  );
  const newest = Math.max(
    ...sources.map((name) => statSync(path.join(packageDir, "src", name)).mtimeMs),
  );
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest) {
    execFileSync("npx", ["tsup"], { cwd: packageDir, stdio: "ignore" });
  }
  return entry;
}
