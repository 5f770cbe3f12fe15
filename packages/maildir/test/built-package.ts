import path from "node:path";
import { fileURLToPath } from "node:url";
import { builtEntry } from "@apop/vitest-preset/built-entry";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The built entry point `dist/index.js`, for child processes, built first when stale. */
export function builtPackage(): string {
  return builtEntry({ packageDir, entry: "dist/index.js" });
}
