import { statfs } from "node:fs/promises";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { formatBytes } from "../cli/format-bytes.ts";
import { localWriteError } from "./local-write-error.ts";

/** Room kept free beyond the message itself: the file system's own bookkeeping, the state file. */
const MARGIN_OCTETS = 1024 * 1024;

/**
 * Checks, before a message is written, that each directory it will be written to has room for
 * `octets` more (plus 1 MiB), as this user may use it (`bavail`: without the blocks kept for
 * root). Throws `CliError` exit 7 naming the directory otherwise, before anything is fetched,
 * so a server that announces a huge message cannot fill the disk up to the last block, and a
 * full disk is reported as such rather than as a half-written file.
 */
export async function ensureFreeSpace(options: {
  directories: readonly string[];
  octets: number;
}): Promise<void> {
  const needed = options.octets + MARGIN_OCTETS;
  for (const directory of new Set(options.directories)) {
    let free: number;
    try {
      const stats = await statfs(directory);
      free = stats.bavail * stats.bsize;
    } catch (error) {
      throw localWriteError({ what: "check the free space of", path: directory, error });
    }
    if (free < needed) {
      throw new CliError({
        exitCode: ExitCode.localWrite,
        message: `not enough free space in ${directory}: the next message needs ${formatBytes(needed)}, ${formatBytes(free)} is free; nothing of it was written`,
      });
    }
  }
}
