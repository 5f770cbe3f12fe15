import { Pop3Error, type Pop3Client } from "@apop/core";

/** One message on the server: its number, LIST size and UIDL unique-id (null without UIDL). */
export interface ListedMessage {
  readonly number: number;
  readonly size: number;
  readonly uid: string | null;
}

/**
 * LIST and UIDL, joined by message number. A server that answers UIDL with `-ERR` (it is
 * optional, RFC 1939 section 7; Gmail has been seen to refuse it) gives `uidl: false` and
 * null UIDs; any other failure is thrown for the caller to classify.
 */
export async function readListing(client: Pop3Client): Promise<{
  readonly messages: readonly ListedMessage[];
  readonly uidl: boolean;
}> {
  const sizes = await client.list();
  let uids: Map<number, string> | null;
  try {
    uids = new Map((await client.uidl()).map((entry) => [entry.message, entry.uid]));
  } catch (error) {
    if (!Pop3Error.isInstance(error) || error.code !== "err") throw error;
    uids = null;
  }
  const messages = sizes
    .map((entry) => ({
      number: entry.message,
      size: entry.size,
      uid: uids?.get(entry.message) ?? null,
    }))
    .sort((a, b) => a.number - b.number);
  return { messages, uidl: uids !== null };
}
