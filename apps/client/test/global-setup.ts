/**
 * Builds the program once before any test file runs: the tests run the built
 * `dist/main.js` as a child process, as a user would. One build for the whole run, because
 * test files run in parallel and tsup cleans `dist/` first.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  execFileSync("npx", ["tsup"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    stdio: "pipe",
  });
}
