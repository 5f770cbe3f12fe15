import { statfsSync } from "node:fs";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { formatBytes } from "../cli/format-bytes.ts";
import { localWriteError } from "./local-write-error.ts";

/** Room kept free beyond the message itself: the file system's own bookkeeping, the state file. */
const MARGIN_OCTETS = 1024 * 1024;

/**
 * Checks, before a message is written, that each directory it will be written to has room for
 * it (plus 1 MiB), as this user may use it (`bavail`: without the blocks kept for root).
 * Throws `CliError` exit 7 naming the directory otherwise, before anything is fetched, so a
 * server that announces a huge message cannot fill the disk up to the last block, and a full
 * disk is reported as such rather than as a half-written file.
 *
 * statfs(2) is asked once, then again only after `refresh()` or when its last answer, less
 * the messages checked since, no longer shows room: one question per batch of messages rather
 * than a thread-pool round trip for each. A write that still meets a full disk (another
 * program filled it meanwhile) fails on its own, with exit 7 and nothing of the message kept.
 */
export class FreeSpaceGuard {
  readonly #directories: readonly string[];
  /** Octets free per directory at the last statfs, less what was checked since; null: ask. */
  #free: Map<string, number> | null = null;

  constructor(options: { directories: readonly string[] }) {
    this.#directories = [...new Set(options.directories)];
  }

  /** Room for a message of `octets`, counted as written from now on. */
  async reserve(octets: number): Promise<void> {
    const free = await this.check(octets);
    for (const directory of this.#directories) {
      free.set(directory, (free.get(directory) as number) - octets);
    }
  }

  /** Room for a message of `octets` (the largest about to be fetched), counting nothing. */
  async check(octets: number): Promise<Map<string, number>> {
    const needed = octets + MARGIN_OCTETS;
    const short = (free: Map<string, number>): string | undefined =>
      this.#directories.find((directory) => (free.get(directory) as number) < needed);
    if (this.#free === null || short(this.#free) !== undefined) {
      this.#free = freeSpace(this.#directories);
    }
    const directory = short(this.#free);
    if (directory !== undefined) {
      const free = this.#free.get(directory) as number;
      // Asked again next time: space may have been freed meanwhile.
      this.#free = null;
      throw new CliError({
        exitCode: ExitCode.localWrite,
        message: `not enough free space in ${directory}: the next message needs ${formatBytes(needed)}, ${formatBytes(free)} is free; nothing of it was written`,
      });
    }
    return this.#free;
  }

  /** Forgets the last answer: the next `reserve` asks the file system again. */
  refresh(): void {
    this.#free = null;
  }
}

/** statfs(2) is synchronous, like apop's other metadata calls (docs/performance.md). */
function freeSpace(directories: readonly string[]): Map<string, number> {
  const free = new Map<string, number>();
  for (const directory of directories) {
    try {
      const stats = statfsSync(directory);
      free.set(directory, stats.bavail * stats.bsize);
    } catch (error) {
      throw localWriteError({ what: "check the free space of", path: directory, error });
    }
  }
  return free;
}
