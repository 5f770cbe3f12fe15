import { MAX_NUMBER } from "./command.ts";

/**
 * The single-line forms inside STAT, LIST and UIDL replies (RFC 1939 section 5 and 7).
 * Each parser takes the text after `+OK ` (one-line form) or a listing line (multi-line form)
 * and ignores anything after the fields it needs, as RFC 1939 section 5 asks of clients.
 */

/** STAT's answer (RFC 1939 section 5): how many messages, and their size in octets. */
export interface MaildropSize {
  /** Messages in the maildrop, not counting those marked deleted. */
  readonly count: number;
  /** Their total size in octets. */
  readonly size: number;
}

/** One LIST line (RFC 1939 section 5, "scan listing"). */
export interface ScanListing {
  /** The message number, from 1. */
  readonly message: number;
  /** Its size in octets (as the server counts it, with CRLF line ends). */
  readonly size: number;
}

/** One UIDL line (RFC 1939 section 7, "unique-id listing"). */
export interface UniqueIdListing {
  /** The message number, from 1. */
  readonly message: number;
  /** The unique-id: 1 to 70 printable characters, stable across sessions. */
  readonly uid: string;
}

const DECIMAL = /^[0-9]{1,15}$/;

/** `+OK nn mm` (RFC 1939 section 5, STAT): `nn mm`. */
export function parseMaildropSize(text: string): MaildropSize | null {
  const [count, size] = fields(text, 2);
  const parsedCount = decimal(count);
  const parsedSize = decimal(size);
  return parsedCount === null || parsedSize === null
    ? null
    : { count: parsedCount, size: parsedSize };
}

export function formatMaildropSize(value: MaildropSize): string {
  return `${value.count} ${value.size}`;
}

/** A scan listing, `msg size` (RFC 1939 section 5, LIST). */
export function parseScanListing(text: string): ScanListing | null {
  const [message, size] = fields(text, 2);
  const parsedMessage = decimal(message);
  const parsedSize = decimal(size);
  if (
    parsedMessage === null ||
    parsedSize === null ||
    parsedMessage < 1 ||
    parsedMessage > MAX_NUMBER
  ) {
    return null;
  }
  return { message: parsedMessage, size: parsedSize };
}

export function formatScanListing(value: ScanListing): string {
  return `${value.message} ${value.size}`;
}

/**
 * A unique-id listing, `msg unique-id` (RFC 1939 section 7, UIDL). The unique-id is taken as
 * opaque: RFC 1939 limits it to 70 octets of 0x21-0x7E, but servers that exceed that exist and
 * a client that refused them would download the same mail forever.
 */
export function parseUniqueIdListing(text: string): UniqueIdListing | null {
  const [message, uid] = fields(text, 2);
  const parsedMessage = decimal(message);
  if (
    parsedMessage === null ||
    parsedMessage < 1 ||
    parsedMessage > MAX_NUMBER ||
    uid === undefined
  ) {
    return null;
  }
  return { message: parsedMessage, uid };
}

export function formatUniqueIdListing(value: UniqueIdListing): string {
  return `${value.message} ${value.uid}`;
}

function fields(text: string, count: number): (string | undefined)[] {
  return text
    .split(" ")
    .filter((field) => field !== "")
    .slice(0, count);
}

function decimal(text: string | undefined): number | null {
  if (text === undefined || !DECIMAL.test(text)) return null;
  return Number(text);
}
