import { lstatSync } from "node:fs";
import { setImmediate as nextTurn } from "node:timers/promises";
import { filePath, listNames } from "./file-names.ts";
import type { MaildirFolders } from "./maildir-folders.ts";
import { type MaildirName, parseMaildirName } from "./parse-maildir-name.ts";
import { errnoCode } from "./to-store-error.ts";

/** One message file found by `scanMaildir`. */
export interface MaildirEntry extends MaildirName {
  readonly dir: "new" | "cur";
  readonly diskSize: number;
  readonly mtimeMs: number;
  /** Device and inode when listed: the file opened or unlinked later must be this one. */
  readonly dev: number;
  readonly ino: number;
}

/**
 * How many synchronous `lstat` calls run before the scan lets other sessions have the event
 * loop: a few milliseconds of work at most, however large the Maildir.
 */
const STAT_SLICE = 512;

/**
 * Lists the messages of a Maildir, through its pinned folders (`MaildirFolders`): the regular files of `new/` and `cur/`, without dot-files
 * and without `tmp/` (deliveries in progress). Symbolic links are not messages: whoever can
 * write the Maildir could point one at any file the server can read (see `openMessageFile`).
 * Names that are not UTF-8 are listed too, by their bytes (`decodeFileName`). Sorted by delivery time, then unique name,
 * then `cur` before `new`, then file name, so the order is stable across sessions:
 * delivery time is the leading `<seconds>.` of the unique name, or the file's mtime (in whole
 * seconds) when the name has none.
 *
 * `new/` is listed before `cur/`, so a message moved from `new/` to `cur/` during the scan is
 * never missed; if it was seen in both, the `new/` entry is checked again and dropped when it
 * is gone. Files that vanish between listing and `stat` are skipped.
 */
export async function scanMaildir(options: { folders: MaildirFolders }): Promise<MaildirEntry[]> {
  const entries = [
    ...(await scanDir(options.folders, "new")),
    ...(await scanDir(options.folders, "cur")),
  ];
  const inCur = new Set(entries.filter((e) => e.dir === "cur").map((e) => e.uniqueName));
  const checked = entries.map((entry) =>
    entry.dir === "new" && inCur.has(entry.uniqueName)
      ? statEntry(entry, entryPath({ folders: options.folders, entry }))
      : entry,
  );
  return checked.filter((entry) => entry !== undefined).sort(compareEntries);
}

/**
 * Where `entry` is now reached: through the pinned folder while pinned, else its real path;
 * the exact bytes when the name is not UTF-8 (`file-names.ts`). A flag change or a move to
 * `cur/` since the scan changes it (see `MaildirMaildrop`).
 */
export function entryPath(options: {
  folders: MaildirFolders;
  entry: Pick<MaildirEntry, "dir" | "fileName">;
}): string | Buffer {
  return filePath(options.folders.path(options.entry.dir), options.entry.fileName);
}

async function scanDir(folders: MaildirFolders, dir: "new" | "cur"): Promise<MaildirEntry[]> {
  const folder = folders.path(dir);
  const names = listNames(folder).filter((name) => !name.startsWith("."));
  const entries: MaildirEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    if (i > 0 && i % STAT_SLICE === 0) await nextTurn();
    const name = names[i] as string;
    const entry = statEntry({ ...parseMaildirName(name), dir }, filePath(folder, name));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function statEntry(
  entry: Omit<MaildirEntry, "diskSize" | "mtimeMs" | "dev" | "ino">,
  file: string | Buffer,
): MaildirEntry | undefined {
  try {
    // lstat: a symbolic link is skipped, whatever it points at. Synchronous, like every
    // metadata call of the store (docs/performance.md).
    const stats = lstatSync(file);
    if (!stats.isFile()) return undefined;
    return {
      ...entry,
      diskSize: stats.size,
      mtimeMs: stats.mtimeMs,
      dev: stats.dev,
      ino: stats.ino,
    };
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}

function deliveryTime(entry: MaildirEntry): number {
  return entry.deliveredAt ?? Math.floor(entry.mtimeMs / 1000);
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareEntries(a: MaildirEntry, b: MaildirEntry): number {
  return (
    deliveryTime(a) - deliveryTime(b) ||
    compareText(a.uniqueName, b.uniqueName) ||
    compareText(a.dir, b.dir) ||
    compareText(a.fileName, b.fileName)
  );
}
