/**
 * Builds the program once before any test file runs, when its sources (or the builds of the
 * @apop packages it bundles) are newer than the build: the tests run the built `dist/main.js` as a child process, as a user would. One
 * build for the whole run, because test files run in parallel and tsup cleans `dist/` first.
 *
 * Only when stale: under `npm test`, turbo has just built it (the test task depends on the
 * build), and other packages' suites (the interop suite) run `dist/main.js` at the same time;
 * rebuilding it then would take the file away from under them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The newest modification time among the files under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return latest;
}

function builtAt(): number {
  try {
    return statSync(path.join(root, "dist", "main.js")).mtimeMs;
  } catch {
    return 0;
  }
}

/** The dist/ folders of the workspace packages the program bundles. */
function bundledBuilds(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => name.startsWith("@apop/"))
    .map((name) => path.join(root, "..", "..", "node_modules", name, "dist"))
    .filter((dist) => existsSync(dist));
}

export default function setup(): void {
  const sources = Math.max(
    newest(path.join(root, "src")),
    statSync(path.join(root, "tsup.config.ts")).mtimeMs,
    ...bundledBuilds().map(newest),
  );
  if (builtAt() >= sources) return;
  execFileSync("npx", ["tsup"], { cwd: root, stdio: "pipe" });
}
