/**
 * Builds the program once before any test file runs, when it is older than its sources or
 * than the builds of the @apop packages it bundles: the tests run `dist/main.js` as a child
 * process, as a user would. Once for the whole run, because test files run in parallel and
 * tsup cleans `dist/` first.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { builtEntry } from "@apop/vitest-preset/built-entry";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

export default function setup(): void {
  const manifest = JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const bundled = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => name.startsWith("@apop/"))
    .map((name) => path.join(packageDir, "..", "..", "node_modules", name, "dist"));
  builtEntry({ packageDir, entry: "dist/main.js", alsoWatch: bundled });
}
