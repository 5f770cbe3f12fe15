import { StoreError, type StoreErrorCode } from "@apop/core";

/** File-system error codes that retrying will not fix: access, read-only, broken layout. */
const PERMANENT = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOTDIR",
  "EISDIR",
  "ELOOP",
  "ENAMETOOLONG",
]);

/** The `code` of a Node system error (`ENOENT`, `EACCES`, ...), if it has one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  return typeof error.code === "string" ? error.code : undefined;
}

/**
 * Turns a file-system failure into the `StoreError` the server reports: `sys-perm` for
 * access and layout faults that need an administrator, `sys-temp` for everything else
 * (I/O errors, descriptor exhaustion, a full disk, a file that vanished). A `StoreError`
 * passes through unchanged.
 */
export function toStoreError(options: { error: unknown; message: string }): StoreError {
  const { error, message } = options;
  if (StoreError.isInstance(error)) return error;
  const errno = errnoCode(error);
  const code: StoreErrorCode =
    errno !== undefined && PERMANENT.has(errno) ? "sys-perm" : "sys-temp";
  const detail = errno === undefined ? "" : ` (${errno})`;
  return new StoreError({ code, message: `${message}${detail}`, cause: error });
}
