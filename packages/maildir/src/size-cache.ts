import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { hasEscapedBytes } from "./file-names.ts";
import { readMaildirFile } from "./read-maildir-file.ts";
import { snapshotFileLimit } from "./snapshot-file-limit.ts";

/**
 * The wire sizes the store has counted, kept in a file inside each Maildir so that LIST on a
 * large mailbox does not read every message at every login.
 *
 * Format (text, one entry a line, fields separated by TAB):
 * ```
 * apop-sizes 1
 * <wire size>\t<size on disk>\t<mtime in ms>\t<unique name>
 * ```
 * An entry counts only while the unique name, the size on disk and the mtime all match, so a
 * file that changed is counted again. A flag change renames the file but keeps its unique
 * name and mtime, so it keeps its entry. Unique names with a TAB or a line break are never
 * cached, nor names that are not UTF-8. A file that does not parse is treated as empty: the cache is only an optimisation.
 */
export const SIZE_CACHE_FILE = "apop-sizes";
const HEADER = "apop-sizes 1";

/** The key of one cache entry. */
export function sizeCacheKey(entry: {
  uniqueName: string;
  diskSize: number;
  mtimeMs: number;
}): string | undefined {
  // A name that is not UTF-8 (`decodeFileName`) would not survive the UTF-8 file intact.
  if (/[\t\r\n]/.test(entry.uniqueName) || hasEscapedBytes(entry.uniqueName)) return undefined;
  return `${entry.diskSize}\t${entry.mtimeMs}\t${entry.uniqueName}`;
}

/**
 * What each message of the snapshot lets the cache grow by (`snapshotFileLimit`): its line is
 * the sizes, the mtime and a unique name of at most 255 octets, some 80 octets as usual.
 */
const SIZE_CACHE_OCTETS_PER_MESSAGE = 512;

/**
 * Reads the cache of one Maildir: key -> wire size. Missing or broken files read as empty, and
 * so does a file larger than `snapshotFileLimit` allows for `messageCount` messages: the
 * store writes one line per message of a snapshot, so a larger file is one its owner wrote to
 * make every login parse millions of lines (docs/security.md, "Quadratic work and memory a
 * mailbox owner controls"); the sizes are counted and the next write replaces it.
 * Synchronous, like every small read of the store at login (docs/performance.md).
 */
export function readSizeCache(options: {
  maildir: string;
  /** The messages of the snapshot; `undefined` (64 MiB) when not known. */
  messageCount?: number | undefined;
}): Map<string, number> {
  const sizes = new Map<string, number>();
  const file = path.join(options.maildir, SIZE_CACHE_FILE);
  // Asked first: most Maildirs have none, and a failed read costs an error object.
  if (!existsSync(file)) return sizes;
  let text: string;
  try {
    // A link, a FIFO or a file too large for a cache is broken too (`readMaildirFile`); the
    // next write renames a fresh cache over it.
    const maxOctets = snapshotFileLimit({
      messageCount: options.messageCount,
      octetsPerMessage: SIZE_CACHE_OCTETS_PER_MESSAGE,
    });
    const content = readMaildirFile(file, { maxOctets })?.content;
    if (content === undefined) return sizes;
    text = content.toString("utf8");
  } catch {
    return sizes;
  }
  const lines = text.split("\n");
  if (lines[0] !== HEADER) return sizes;
  for (const line of lines.slice(1)) {
    const tab = line.indexOf("\t");
    if (tab === -1) continue;
    const size = line.slice(0, tab);
    if (!/^\d{1,15}$/.test(size)) continue;
    sizes.set(line.slice(tab + 1), Number(size));
  }
  return sizes;
}

/**
 * Replaces the cache of one Maildir atomically: written to `tmp/` first, then renamed over
 * the old file, so a reader never sees half a file. Failures are swallowed (a read-only or
 * full file system only costs the next login a recount).
 */
export async function writeSizeCache(options: {
  maildir: string;
  /** The Maildir's `tmp/` (default `<maildir>/tmp`). */
  tmp?: string;
  sizes: ReadonlyMap<string, number>;
}): Promise<void> {
  const { maildir, sizes } = options;
  const lines = [HEADER];
  for (const [key, size] of sizes) lines.push(`${size}\t${key}`);
  const tmp = options.tmp ?? path.join(maildir, "tmp");
  const temporary = path.join(tmp, `${SIZE_CACHE_FILE}.${randomUUID()}`);
  try {
    await writeFile(temporary, `${lines.join("\n")}\n`, { flag: "wx", mode: 0o600 });
    await rename(temporary, path.join(maildir, SIZE_CACHE_FILE));
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}
