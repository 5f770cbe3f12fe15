import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The built program `dist/main.js`: the tests run what users run. Builds it first when it is
 * missing or older than a source file, so a test never runs stale code (under turbo, `build`
 * has already run and this is a no-op).
 */
export function builtServer(): string {
  const entry = path.join(appDir, "dist", "main.js");
  const src = path.join(appDir, "src");
  const newest = Math.max(
    ...readdirSync(src)
      .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
      .map((name) => statSync(path.join(src, name)).mtimeMs),
  );
  if (!existsSync(entry) || statSync(entry).mtimeMs < newest) {
    execFileSync("npx", ["tsup"], { cwd: appDir, stdio: "ignore" });
  }
  return entry;
}
