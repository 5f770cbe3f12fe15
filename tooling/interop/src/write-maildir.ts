import { chown, mkdir, readdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CorpusMessage } from "./corpus.ts";

/** 2026-01-01T00:00:00Z: the first delivery time of the fixtures. */
const FIRST_DELIVERY = 1_767_225_600;

/** A message as written into a Maildir: its unique name is what apop's UIDL shows. */
export interface DeliveredMessage {
  readonly message: CorpusMessage;
  /** The Maildir unique name (file name in `new/`). */
  readonly uniqueName: string;
}

/**
 * Writes messages into `dir/new/` as an MTA would deliver them: one file each, named
 * `<time>.M<n>P4242.interop` with increasing delivery times (and mtimes), so that every
 * store serves them in this order. Creates `cur/`, `new/`, `tmp/`. With `owner`, the folder
 * and files are handed to that uid/gid (Dovecot reads them as its mail user).
 */
export async function writeMaildir(options: {
  dir: string;
  messages: readonly CorpusMessage[];
  owner?: { uid: number; gid: number };
  /** The last part of every unique name (default `interop`): later deliveries need their own. */
  host?: string;
  /** Seconds added to every delivery time (default 0), so later deliveries sort after. */
  later?: number;
}): Promise<DeliveredMessage[]> {
  const { dir, owner } = options;
  for (const sub of ["cur", "new", "tmp"])
    await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
  const delivered: DeliveredMessage[] = [];
  for (const [index, message] of options.messages.entries()) {
    const time = FIRST_DELIVERY + (options.later ?? 0) + index;
    const uniqueName = `${time}.M${index + 1}P4242.${options.host ?? "interop"}`;
    const path = join(dir, "new", uniqueName);
    await writeFile(path, message.stored, { mode: 0o600 });
    await utimes(path, time, time);
    delivered.push({ message, uniqueName });
  }
  if (owner !== undefined) await chownTree(dir, owner);
  return delivered;
}

async function chownTree(path: string, owner: { uid: number; gid: number }): Promise<void> {
  await chown(path, owner.uid, owner.gid);
  if (!(await stat(path)).isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), owner);
}

/** The files of a Maildir's `new/` and `cur/`, as path lists (for "is it still there"). */
export async function listMaildir(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const sub of ["new", "cur"]) {
    for (const name of await readdir(join(dir, sub)).catch(() => [] as string[]))
      files.push(join(sub, name));
  }
  return files.sort();
}
