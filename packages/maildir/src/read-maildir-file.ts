import { closeSync, constants, fstatSync, lstatSync, openSync, readSync } from "node:fs";
import { errnoCode } from "./to-store-error.ts";

/** A file of the Maildir's own bookkeeping as `readMaildirFile` found it. */
export interface MaildirFile {
  /**
   * Its octets; `undefined` when it is not a regular file (a symbolic link, a FIFO, a socket, a
   * directory) or is larger than the caller allows: then it was not read at all.
   */
  readonly content: Buffer | undefined;
  readonly ino: number;
  readonly dev: number;
  readonly mtimeMs: number;
}

/**
 * How the store opens for reading any file a mailbox owner can put in place (a message, a lock,
 * a bookkeeping file). `O_NOFOLLOW`: a symbolic link in the last component fails with ELOOP
 * instead of being followed. `O_NONBLOCK`: a FIFO opens at once instead of waiting for a
 * writer (no effect on a regular file). `O_NOCTTY`: a terminal never becomes the server's
 * controlling terminal (a session leader without one, as under systemd, would otherwise take
 * it, and the terminal's owner could then stop the server with ^C or ^\).
 */
export const OWNER_FILE_READ_FLAGS =
  constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Reads one of the small files the store keeps in a Maildir (`apop.lock`, Dovecot's dotlocks,
 * `dovecot-uidlist`, the size cache, the last login), or answers `undefined` when there is none.
 *
 * Whoever can write the Maildir can put anything under those names, so the name is opened
 * without following a link and without blocking, and only a regular file of at most
 * `maxOctets` is read, in one read of the size `fstat` gave. Otherwise a FIFO would block the
 * server's one thread until a writer came (every session stalls), a link could lead to another
 * user's file or to `/dev/zero` (read without end), and a sparse file of terabytes would be
 * read into memory (docs/security.md, "Maildir bookkeeping files"). What is there instead is
 * described by its device, inode and mtime (`lstat` for a link or a socket), so locks can still
 * be judged stale by their age. Other errors (EACCES, EIO) are thrown as they are.
 */
export function readMaildirFile(
  file: string,
  options: { readonly maxOctets: number },
): MaildirFile | undefined {
  let fd: number;
  try {
    fd = openSync(file, OWNER_FILE_READ_FLAGS);
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT") return undefined;
    // ELOOP: a symbolic link; ENXIO: a socket.
    if (code === "ELOOP" || code === "ENXIO") return describeMaildirFile(file);
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    const { ino, dev, mtimeMs } = stats;
    if (!stats.isFile() || stats.size > options.maxOctets) {
      return { content: undefined, ino, dev, mtimeMs };
    }
    const buffer = Buffer.allocUnsafe(stats.size);
    const length = stats.size === 0 ? 0 : readSync(fd, buffer, 0, stats.size, 0);
    return { content: buffer.subarray(0, length), ino, dev, mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * What is at `file`, without reading or following it (`lstat`): `content` is `undefined`.
 * Answers `undefined` when there is nothing; other errors are thrown.
 */
export function describeMaildirFile(file: string): MaildirFile | undefined {
  try {
    const { ino, dev, mtimeMs } = lstatSync(file);
    return { content: undefined, ino, dev, mtimeMs };
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return undefined;
    throw error;
  }
}
