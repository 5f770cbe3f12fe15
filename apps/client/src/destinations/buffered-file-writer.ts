import { writevSync } from "node:fs";

/** Bytes gathered before one writev(2). */
const GATHER_OCTETS = 64 * 1024;
/** Pieces gathered before one writev(2): far below IOV_MAX (1024 on Linux) when they are tiny. */
const GATHER_PARTS = 256;

/**
 * Gathers the small pieces of a message into writev(2) calls of at least 64 KiB to a file
 * descriptor, appending at its current offset: a body arrives in many small chunks, and one
 * write(2) per chunk costs far more than the data. The pieces are kept, not copied (nor is a
 * buffer allocated per file): they must not change until written.
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
  #parts: Uint8Array[] = [];
  #gathered = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#parts.push(bytes);
    this.#gathered += bytes.length;
    if (this.#gathered >= GATHER_OCTETS || this.#parts.length >= GATHER_PARTS) this.flush();
  }

  /** Writes out what is gathered (call before fsync). */
  flush(): void {
    let parts = this.#parts;
    let left = this.#gathered;
    this.#parts = [];
    this.#gathered = 0;
    // writev(2) may write less than asked near a size limit or a full disk; the next call
    // then fails with the real reason (`EFBIG`, `ENOSPC`).
    while (left > 0) {
      let written = writevSync(this.#fd, parts);
      left -= written;
      if (left === 0) break;
      let first = 0;
      for (; written >= (parts[first] as Uint8Array).length; first++) {
        written -= (parts[first] as Uint8Array).length;
      }
      parts = parts.slice(first);
      parts[0] = (parts[0] as Uint8Array).subarray(written);
    }
  }
}
