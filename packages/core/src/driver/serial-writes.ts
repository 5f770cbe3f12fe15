import { RemoteProtocolError } from "../errors/remote-protocol-error.ts";

/**
 * The write queue of a transport whose runtime takes one write at a time (a Deno connection,
 * a Workers stream): each write starts once the one before has settled, so the bytes keep
 * their order and core's backpressure is the runtime's (`Transport.write` resolves when the
 * runtime has taken the bytes). A failed write rejects its own caller only; the queue goes on.
 */
export class SerialWrites {
  #last: Promise<void> = Promise.resolve();

  /** Runs `write` after every write queued before it has settled; resolves as it does. */
  enqueue(write: () => Promise<void>): Promise<void> {
    const written = this.#last.then(write);
    this.#last = written.catch(() => {});
    return written;
  }

  /** Settles (never rejects) once every write queued so far has settled. */
  settled(): Promise<void> {
    return this.#last;
  }
}

/** The error of a write or upgrade on a connection that closed or failed, for every transport. */
export function connectionClosedError(message: string, cause?: unknown): RemoteProtocolError {
  return new RemoteProtocolError({
    code: "connection-closed",
    message,
    ...(cause === undefined ? {} : { cause }),
  });
}
