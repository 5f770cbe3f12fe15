import { readFileSync } from "node:fs";

/**
 * The `version` of a program's package.json, read at run time, or `"unknown"` when the file
 * is missing or has none. `packageJson` is resolved from the program's entry module (for
 * example `new URL("../package.json", import.meta.url)` from `src/main.ts`, which the build
 * bundles into `dist/main.js`, one folder below package.json either way).
 */
export function readVersion(options: { packageJson: URL }): string {
  try {
    const text = readFileSync(options.packageJson, "utf8");
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}
