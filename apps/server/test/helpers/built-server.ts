import path from "node:path";
import { fileURLToPath } from "node:url";
import { builtEntry } from "@apop/vitest-preset/built-entry";

export const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The built program `dist/main.js`: the tests run what users run, built first when stale. */
export function builtServer(): string {
  return builtEntry({ packageDir: appDir, entry: "dist/main.js" });
}
