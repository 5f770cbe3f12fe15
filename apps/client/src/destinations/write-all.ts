import { writeSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/**
 * Writes every byte of `bytes` at `position` (or at the current offset when null). Node's
 * `FileHandle.write` may write less than asked, as write(2) does near a size limit or a full
 * disk; the next call then fails with the real reason (`EFBIG`, `ENOSPC`). Resolves with the
 * position after the last byte.
 */
export async function writeAll(
  handle: FileHandle,
  bytes: Uint8Array,
  position: number | null,
): Promise<number | null> {
  let offset = 0;
  let at = position;
  while (offset < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, at);
    offset += bytesWritten;
    if (at !== null) at += bytesWritten;
  }
  return at;
}

/**
 * Writes every byte of `bytes` to `fd` at its current offset, synchronously, by the same rule
 * as `writeAll`: a short write is followed by another, which fails with the real reason.
 */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}
