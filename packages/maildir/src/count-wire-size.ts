import { closeSync } from "node:fs";
import { StoreError } from "@apop/core";
import { WireSizeCounter } from "@apop/core/internal";
import { openMessageFile } from "./file-names.ts";
import { readAt } from "./read-at.ts";

/** Chunk size for streaming message files: big enough to be cheap, small enough to be flat. */
export const READ_CHUNK_OCTETS = 64 * 1024;

/**
 * The largest message file whose size is counted. Counting reads the whole file on the
 * server's thread, and a sparse file of terabytes costs its owner nothing (docs/security.md);
 * a message this large without `,W=` fails the login with `sys-perm` instead.
 */
export const MAX_COUNTED_OCTETS = 2 ** 30;

/**
 * Streams one message file through `WireSizeCounter` (core's single definition of the POP3
 * wire size), one 64 KiB buffer at a time, never holding the file in memory. A plain read
 * loop rather than a stream: most messages fit one read, and a stream per file costs more than
 * the counting. Answers `undefined` when the path is no longer a regular file (a symbolic
 * link or a FIFO put there since the scan: `openMessageFile`), or another file than `expect`.
 * Rejects with the file-system error as it is, and with `StoreError` `sys-perm` for a file over
 * `MAX_COUNTED_OCTETS`.
 */
export async function countWireSize(options: {
  file: string | Buffer;
  expect?: { readonly dev: number; readonly ino: number };
}): Promise<number | undefined> {
  const counter = new WireSizeCounter();
  const opened = openMessageFile(options.file, options.expect);
  if (opened === undefined) return undefined;
  const { fd } = opened;
  if (opened.stats.size > MAX_COUNTED_OCTETS) {
    closeSync(fd);
    throw new StoreError({
      code: "sys-perm",
      message: `a message file without ,W= is larger than ${MAX_COUNTED_OCTETS / 2 ** 30} GiB`,
    });
  }
  try {
    const buffer = new Uint8Array(READ_CHUNK_OCTETS);
    for (let offset = 0; ; ) {
      const bytesRead = await readAt({ fd, buffer, length: buffer.length, position: offset });
      if (bytesRead === 0) break;
      offset += bytesRead;
      counter.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    closeSync(fd);
  }
  return counter.size;
}
