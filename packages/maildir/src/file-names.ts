import { closeSync, fstatSync, openSync, readdirSync, type Stats } from "node:fs";
import path from "node:path";
import { childPath } from "./child-path.ts";
import { OWNER_FILE_READ_FLAGS } from "./read-maildir-file.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A lone low surrogate of the escape range: only `decodeFileName` makes these. */
const ESCAPED_BYTE = /[\udc80-\udcff]/u;

/**
 * A file name read as bytes, as a string that loses nothing. A name in UTF-8 (every MTA writes
 * ASCII names) is its text. Any other name keeps its ASCII and turns every byte from 0x80 up
 * into the lone surrogate U+DC80-U+DCFF (Python's "surrogateescape"): valid UTF-8 never decodes
 * to a lone surrogate, so no two names read the same, and `encodeFileName` gives the bytes back.
 * Without this Node decodes such names with U+FFFD, the path no longer exists, and the message
 * is silently left out of every session.
 */
export function decodeFileName(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    let name = "";
    for (const byte of bytes) name += String.fromCharCode(byte < 0x80 ? byte : 0xdc00 + byte);
    return name;
  }
}

/** True when `decodeFileName` had to escape bytes: the name is not UTF-8. */
export function hasEscapedBytes(name: string): boolean {
  return ESCAPED_BYTE.test(name);
}

/** The bytes of a name from `decodeFileName` (UTF-8 for any ordinary string). */
export function encodeFileName(name: string): Buffer {
  if (!hasEscapedBytes(name)) return Buffer.from(name, "utf8");
  const parts: Buffer[] = [];
  for (const character of name) {
    const code = character.charCodeAt(0);
    parts.push(
      character.length === 1 && code >= 0xdc80 && code <= 0xdcff
        ? Buffer.of(code - 0xdc00)
        : Buffer.from(character, "utf8"),
    );
  }
  return Buffer.concat(parts);
}

/**
 * The path of `name` in `dir`: a string, or the exact bytes when the name is not UTF-8.
 * `name` is a directory entry (never `.`, `..` or with a `/`) and `dir` a folder's path
 * (`MaildirFolders.path`), so the two are joined by `childPath`.
 */
export function filePath(dir: string, name: string): string | Buffer {
  if (!hasEscapedBytes(name)) return childPath(dir, name);
  return Buffer.concat([Buffer.from(`${dir}${path.sep}`, "utf8"), encodeFileName(name)]);
}

/**
 * The entry names of a directory, byte for byte (see `decodeFileName`). Synchronous, like
 * every metadata call of the store (docs/performance.md).
 */
export function listNames(dir: string): string[] {
  return readdirSync(dir, { encoding: "buffer" }).map(decodeFileName);
}

/**
 * Opens a message file for reading, refusing anything but a regular file reached without a
 * symbolic link, or answers `undefined` when the path is now something else. A message file
 * is whatever the mailbox owner (or anyone who can write the Maildir) put there: a symlink to
 * the server's TLS key or another user's mail would otherwise be served by RETR, and a FIFO
 * would hang the open. `O_NOFOLLOW` makes the check and the open one step, so a file swapped
 * for a link after the scan is refused too; `O_NONBLOCK` keeps a FIFO from blocking. With
 * `expect`, a file that is not that device and inode (the one listed) answers `undefined` too.
 * Answers the open descriptor: the caller closes it (`closeSync`). Synchronous, like every
 * metadata call of the store (docs/performance.md).
 */
export function openMessageFile(
  file: string | Buffer,
  expect?: { readonly dev: number; readonly ino: number },
): { fd: number; stats: Stats } | undefined {
  let fd: number;
  try {
    fd = openSync(file, OWNER_FILE_READ_FLAGS);
  } catch (error) {
    // ELOOP: the last component is a symbolic link.
    if ((error as NodeJS.ErrnoException).code === "ELOOP") return undefined;
    throw error;
  }
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  if (!stats.isFile() || (expect !== undefined && !sameFile(stats, expect))) {
    closeSync(fd);
    return undefined;
  }
  return { fd, stats };
}

/** True when both name the same file: same device and inode. */
export function sameFile(
  a: { readonly dev: number; readonly ino: number },
  b: { readonly dev: number; readonly ino: number },
): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
