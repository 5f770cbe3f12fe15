import { fsync } from "node:fs";

/**
 * fsync(2) of an open descriptor in libuv's thread pool: it waits for the disk, so it must not
 * block the event loop. Everything around it (open, write, close, rename) is synchronous in
 * apop: each takes microseconds, where a trip through the thread pool costs more
 * (docs/performance.md).
 */
export function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}
