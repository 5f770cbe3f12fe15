import { closeSync, openSync } from "node:fs";
import { fsyncFd } from "./fsync-fd.ts";

/**
 * Flushes a directory's entries to disk, so a file just created or renamed into it survives
 * a power loss (rename(2) is atomic, but only durable once the directory is synced). Linux
 * and the BSDs allow fsync on a directory opened read-only.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  const fd = openSync(directory, "r");
  try {
    await fsyncFd(fd);
  } finally {
    closeSync(fd);
  }
}
