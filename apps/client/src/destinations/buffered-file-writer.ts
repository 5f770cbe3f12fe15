import type { FileHandle } from "node:fs/promises";
import { writeAll } from "./write-all.ts";

/** Bytes gathered before one write(2). */
const BUFFER_SIZE = 64 * 1024;

/**
 * Gathers small pieces into 64 KiB writes. A message body arrives in many small chunks (core
 * yields about one per line), and one write(2) per chunk through libuv's thread pool costs
 * far more than the copy: a 1 MiB message of short lines took seconds instead of
 * milliseconds. Appends at the file's current offset.
 */
export class BufferedFileWriter {
  readonly #handle: FileHandle;
  readonly #buffer = Buffer.allocUnsafe(BUFFER_SIZE);
  #used = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.#used + bytes.length > BUFFER_SIZE) await this.flush();
    if (bytes.length >= BUFFER_SIZE) {
      await writeAll(this.#handle, bytes, null);
      return;
    }
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.length;
  }

  /** Writes out what is gathered (call before fsync). */
  async flush(): Promise<void> {
    if (this.#used === 0) return;
    const pending = this.#buffer.subarray(0, this.#used);
    this.#used = 0;
    await writeAll(this.#handle, pending, null);
  }
}
