import { read } from "node:fs";

/**
 * Reads up to `length` octets of `fd` at `position` into `buffer` from offset 0, on the
 * thread pool (message contents may be large or on a slow disk; metadata calls are not:
 * docs/performance.md). Resolves to the number of octets read, 0 at the end of the file.
 */
export function readAt(options: {
  fd: number;
  buffer: Uint8Array;
  length: number;
  position: number;
}): Promise<number> {
  const { fd, buffer, length, position } = options;
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, length, position, (error, bytesRead) =>
      error === null ? resolve(bytesRead) : reject(error),
    );
  });
}
