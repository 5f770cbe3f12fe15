import { readFileSync } from "node:fs";

/**
 * The version from this app's package.json, read at run time: `dist/main.js` and
 * `src/*.ts` both sit one folder below it.
 */
export function readVersion(): string {
  try {
    const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}
