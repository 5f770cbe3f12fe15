import { LocalProtocolError, type Maildrop } from "@apop/core";

/**
 * The maildrop of a user without a Maildir when the store serves them as empty
 * (`missingMailbox: "empty"`). Nothing to lock: there is nothing to delete.
 */
export class EmptyMaildrop implements Maildrop {
  readonly messages = [] as const;

  read(index: number): AsyncIterable<Uint8Array> {
    throw new LocalProtocolError({
      code: "invalid-argument",
      message: `no message at index ${index}`,
    });
  }

  async commit(deleted: readonly number[]): Promise<void> {
    const [index] = deleted;
    if (index !== undefined) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: `no message at index ${index}`,
      });
    }
  }

  async release(): Promise<void> {}
}
