import { type Pop3Client, Pop3Error } from "@apop/core";

/** One message on the server: its number, LIST size and UIDL unique-id (null without UIDL). */
export interface ListedMessage {
  readonly number: number;
  readonly size: number;
  readonly uid: string | null;
}

export interface Listing {
  readonly messages: readonly ListedMessage[];
  readonly uidl: boolean;
  /**
   * Unique-ids the server gave to more than one message. RFC 1939 section 7 requires them to
   * be unique within the maildrop; one that is not identifies none of its messages (taken at
   * face value, the second message would pass for the first and be deleted unread).
   */
  readonly duplicateUids: ReadonlySet<string>;
}

/**
 * LIST and UIDL, joined by message number. A server that answers UIDL with `-ERR` (it is
 * optional, RFC 1939 section 7; Gmail has been seen to refuse it) gives `uidl: false` and
 * null UIDs; any other failure is thrown for the caller to classify.
 */
export async function readListing(client: Pop3Client): Promise<Listing> {
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
  const seen = new Set<string>();
  const duplicateUids = new Set<string>();
  for (const { uid } of messages) {
    if (uid === null) continue;
    if (seen.has(uid)) duplicateUids.add(uid);
    seen.add(uid);
  }
  return { messages, uidl: uids !== null, duplicateUids };
}

/**
 * The UID that tells this message apart from every other, or null: no UIDL, no unique-id for
 * this message in the UIDL listing (MailKit#560), or one shared with another message.
 */
export function trackedUid(listing: Listing, message: ListedMessage): string | null {
  const { uid } = message;
  return uid === null || listing.duplicateUids.has(uid) ? null : uid;
}

/** One line saying why some messages of a UIDL listing cannot be told apart, or null. */
export function untrackedReason(listing: Listing): string | null {
  if (!listing.uidl) return null;
  for (const uid of listing.duplicateUids) {
    const numbers = listing.messages.filter((m) => m.uid === uid).map((m) => m.number);
    return `it gives the same UIDL unique-id ${JSON.stringify(uid.slice(0, 80))} to messages ${numbers.join(", ")} (RFC 1939 section 7 requires unique-ids to be unique)`;
  }
  const missing = listing.messages.filter((m) => m.uid === null).map((m) => m.number);
  if (missing.length > 0) {
    return `its UIDL listing has no unique-id for message${missing.length === 1 ? "" : "s"} ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}`;
  }
  return null;
}
