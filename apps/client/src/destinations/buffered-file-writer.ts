import { writeSync } from "node:fs";

/** Bytes gathered before one write(2). */
const BUFFER_SIZE = 64 * 1024;

/**
 * Gathers small pieces into 64 KiB writes to a file descriptor, appending at its current
 * offset. A message body arrives in many small chunks, and one write(2) per chunk costs far
 * more than the copy.
 *
 * The writes are synchronous, on purpose: they only copy into the page cache (the fsync that
 * makes them durable stays asynchronous, in the caller), which takes microseconds, while each
 * asynchronous write is a round trip through libuv's thread pool and a promise, and most
 * messages need only one write. A whole 10 MiB message blocks the event loop for a few
 * milliseconds; the socket's receive buffer holds what arrives meanwhile.
 *
 * Errors are the syscall's (`ENOSPC`, `EFBIG`, ...), thrown from `write` or `flush`.
 */
export class BufferedFileWriter {
  readonly #fd: number;
  readonly #buffer = new Uint8Array(BUFFER_SIZE);
  #used = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(bytes: Uint8Array): void {
    if (this.#used + bytes.length > BUFFER_SIZE) this.flush();
    if (bytes.length >= BUFFER_SIZE) {
      writeFully(this.#fd, bytes);
      return;
    }
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** Writes out what is gathered (call before fsync). */
  flush(): void {
    if (this.#used === 0) return;
    const pending = this.#buffer.subarray(0, this.#used);
    this.#used = 0;
    writeFully(this.#fd, pending);
  }
}

/**
 * write(2) may write less than asked near a size limit or a full disk; the next call then
 * fails with the real reason (`EFBIG`, `ENOSPC`).
 */
function writeFully(fd: number, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length; ) {
    offset += writeSync(fd, bytes, offset, bytes.length - offset);
  }
}
