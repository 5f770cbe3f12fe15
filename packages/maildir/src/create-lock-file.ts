import { closeSync, openSync, writeSync } from "node:fs";
import { removeFile } from "./remove-file.ts";
import { errnoCode } from "./to-store-error.ts";

/**
 * Creates the lock file `file` holding `content`, by exclusive creation (`open` with
 * `O_CREAT | O_EXCL`, mode 0600), then one `write`; answers what `inspect` answers for the
 * new descriptor (called before it is closed), or `undefined` when `file` exists. Three calls
 * (`open`, `write`, `close`), where a temporary file hard-linked to the name costs six.
 *
 * Between the `open` and the `write` the file is empty: a reader then finds no holder it can
 * parse and, by the rules of each lock, keeps off it until its mtime is stale, so a crash in
 * that instant leaves a lock that ends by going stale. A failed `write` (a full disk) removes
 * the empty file at once, so it blocks nobody. `O_EXCL` is atomic on local file systems and
 * over NFS version 3 and later (RFC 1813 section 3.3.8, `EXCLUSIVE` create).
 */
export function createLockFile<T>(options: {
  readonly file: string;
  readonly content: string;
  readonly inspect: (fd: number) => T;
}): T | undefined {
  let fd: number;
  try {
    fd = openSync(options.file, "wx", 0o600);
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return undefined;
    throw error;
  }
  let answer: T;
  try {
    writeSync(fd, options.content);
    answer = options.inspect(fd);
  } catch (error) {
    closeSync(fd);
    removeFile(options.file);
    throw error;
  }
  closeSync(fd);
  return answer;
}
