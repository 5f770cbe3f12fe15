import { unlinkSync } from "node:fs";
import { errnoCode } from "./to-store-error.ts";

/**
 * Unlinks `file`; one that is already gone is fine (as `rm --force`). One `unlink` call,
 * synchronous like every metadata call of the store (docs/performance.md), where
 * `fs.promises.rm` costs an `lstat` and an `unlink`, each a thread-pool round trip. Throws
 * the file-system error for anything but ENOENT.
 */
export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if (errnoCode(error) !== "ENOENT") throw error;
  }
}
