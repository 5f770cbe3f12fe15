import { open } from "node:fs/promises";

/**
 * Flushes a directory's entries to disk, so a file just created or renamed into it survives
 * a power loss (rename(2) is atomic, but only durable once the directory is synced). Linux
 * and the BSDs allow fsync on a directory opened read-only.
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
