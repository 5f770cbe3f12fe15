/**
 * A message as the page shows it, read with postal-mime (bundled into the page at build
 * time): RFC 5322 header fields with RFC 2047 encoded words decoded, the text and HTML
 * parts of a MIME tree (RFC 2045-2049) in their charsets, and the attachments. The page
 * keeps no MIME code of its own.
 */
import PostalMime, { type Address, type Attachment } from "postal-mime";

/** What a list row needs: from `TOP n 0`, the header section alone. */
export interface MessageSummary {
  /** The sender's display name, or the address when there is none; "" when missing. */
  readonly from: string;
  readonly subject: string;
  /** The Date field, or null when it is missing or not a date. */
  readonly date: Date | null;
}

export interface AttachmentPart {
  readonly filename: string;
  readonly mimeType: string;
  readonly content: Uint8Array;
  /** `Content-ID` without angle brackets: HTML refers to it as `cid:...`. */
  readonly contentId: string | null;
  /** Inline parts referred to by the HTML (images in a multipart/related). */
  readonly inline: boolean;
}

export interface ReadableMessage extends MessageSummary {
  /** Formatted address lists, as the headers name them: `Name <address>, ...`. */
  readonly fromAddress: string;
  readonly to: string;
  readonly cc: string;
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly AttachmentPart[];
}

/** Parses the header section `TOP n 0` returned. */
export async function parseSummary(headerSection: Uint8Array): Promise<MessageSummary> {
  const email = await PostalMime.parse(headerSection);
  return summaryOf(email.from, email.subject, email.date);
}

/** Parses a whole message (RETR). */
export async function parseMessage(bytes: Uint8Array): Promise<ReadableMessage> {
  const email = await PostalMime.parse(bytes, { attachmentEncoding: "arraybuffer" });
  return {
    ...summaryOf(email.from, email.subject, email.date),
    fromAddress: formatAddresses(email.from === undefined ? [] : [email.from]),
    to: formatAddresses(email.to),
    cc: formatAddresses(email.cc),
    text: email.text ?? null,
    html: email.html ?? null,
    attachments: email.attachments.map(attachmentPart),
  };
}

function summaryOf(
  from: Address | undefined,
  subject: string | undefined,
  date: string | undefined,
): MessageSummary {
  const parsed = date === undefined ? Number.NaN : Date.parse(date);
  return {
    from: from === undefined ? "" : from.name || from.address || "",
    subject: subject ?? "",
    date: Number.isNaN(parsed) ? null : new Date(parsed),
  };
}

function formatAddresses(list: readonly Address[] | undefined): string {
  return (list ?? [])
    .map((entry) =>
      entry.group === undefined
        ? entry.name && entry.address
          ? `${entry.name} <${entry.address}>`
          : entry.address || entry.name
        : `${entry.name}: ${formatAddresses(entry.group)}`,
    )
    .join(", ");
}

function attachmentPart(attachment: Attachment): AttachmentPart {
  const { content } = attachment;
  return {
    filename: attachment.filename ?? "attachment",
    mimeType: attachment.mimeType,
    content:
      typeof content === "string"
        ? new TextEncoder().encode(content)
        : content instanceof Uint8Array
          ? content
          : new Uint8Array(content),
    contentId: attachment.contentId?.replace(/^<|>$/g, "") ?? null,
    inline: attachment.disposition === "inline" || attachment.related === true,
  };
}
