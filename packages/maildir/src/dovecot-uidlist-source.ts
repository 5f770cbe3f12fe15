import { existsSync } from "node:fs";
import path from "node:path";
import { appendDovecotUidlist, unlistedMessages } from "./append-dovecot-uidlist.ts";
import { childPath, isOneComponent } from "./child-path.ts";
import { type DovecotUidlist, parseDovecotUidlistFor } from "./parse-dovecot-uidlist.ts";
import { parseMaildirName } from "./parse-maildir-name.ts";
import { readDovecotUidlist } from "./read-dovecot-uidlist.ts";
import type { UidSource } from "./uid-source.ts";

/** What a `pop3_uidl_format` can use, per message. */
export interface DovecotUidFields {
  /** The IMAP UID of the message (`%u`). */
  readonly uid: number;
  /** The UIDVALIDITY of the mailbox (`%v`). */
  readonly uidValidity: number;
  /** The message GUID (`%g`): its `G` extension, or by Dovecot's default the base file name. */
  readonly guid: string;
  /** The current file name up to `:` (`%f`). */
  readonly fileName: string;
}

/** Options of `dovecotUidlistSource`. */
export interface DovecotUidlistSourceOptions {
  /**
   * Dovecot's `pop3_uidl_format` as a function. Default `%08Xu%08Xv`, Dovecot's default:
   * the UID then the UIDVALIDITY, each as 8 hex digits. Dovecot 2.3 writes these digits in
   * lower case despite the `X` (seen against Dovecot 2.3.19 in tooling/interop), and clients
   * compare UIDLs as opaque strings (RFC 1939 section 7), so lower case it is.
   */
  readonly format?: (fields: DovecotUidFields) => string;
  /** The file name inside the Maildir. Default `dovecot-uidlist`. */
  readonly fileName?: string;
  /**
   * Give mail Dovecot has not indexed yet its Dovecot UID, by appending it to the uidlist
   * under Dovecot's `dovecot-uidlist.lock` (see `append-dovecot-uidlist.ts`). Default true.
   * Only where the file exists: a Maildir Dovecot never opened gets nothing written.
   */
  readonly append?: boolean;
  /** How long to wait for `dovecot-uidlist.lock` while Dovecot holds it. Default 10 s. */
  readonly lockWaitMs?: number;
}

const hex8 = (value: number): string => value.toString(16).padStart(8, "0");

/** Dovecot's default `pop3_uidl_format`, `%08Xu%08Xv`. */
export function dovecotDefaultUidl(fields: DovecotUidFields): string {
  return `${hex8(fields.uid)}${hex8(fields.uidValidity)}`;
}

/**
 * Reads Dovecot's `dovecot-uidlist` (version 3, or version 1 as Courier writes it), so a
 * mailbox moved from Dovecot keeps the UIDLs its POP3 clients already know; and, where
 * Dovecot serves the same Maildir, appends the mail it has not indexed yet (`append`), so
 * that Dovecot later shows the UIDLs apop showed.
 *
 * Per message, matched by Maildir unique name (the uidlist keeps the last known file name,
 * flags and `,S=`/`,W=` fields do not matter):
 * - a `P<uidl>` extension (Dovecot's saved POP3 UIDL, `pop3_save_uidl` or a migration) wins;
 *   an empty `P` means the base file name, as in Dovecot;
 * - otherwise `format` of the UID and the header's UIDVALIDITY (`V`).
 *
 * Messages without an entry (a version 1 file, a file without newline at its end, a name
 * that is not printable ASCII), and all messages when the file is missing or its header
 * cannot be read, fall back to the store's default (the unique name). Other read and write
 * errors fail the `open`: silently changing every UIDL would make clients download
 * everything again.
 */
export function dovecotUidlistSource(options: DovecotUidlistSourceOptions = {}): UidSource {
  const format = options.format ?? dovecotDefaultUidl;
  const fileName = options.fileName ?? "dovecot-uidlist";
  const append = options.append ?? true;
  const lockWaitMs = options.lockWaitMs ?? 10_000;
  // The usual one file name is appended by concatenation (`childPath`).
  const plainName = isOneComponent(fileName);
  return {
    async load({ maildir, messages }) {
      const file = plainName ? childPath(maildir, fileName) : path.join(maildir, fileName);
      // Asked first: a Maildir Dovecot never opened has none, and a failed read costs an
      // error object.
      if (!existsSync(file)) return () => undefined;
      // Synchronous, like every small read of the store at login (docs/performance.md).
      // Bounded by the snapshot, in the octets read and in the records kept: the file is its
      // owner's to write (docs/security.md, "Quadratic work and memory a mailbox owner controls").
      const read = readDovecotUidlist({ file, messageCount: messages?.length });
      if (read === undefined) return () => undefined;
      let uidlist: DovecotUidlist | undefined = parseDovecotUidlistFor({
        text: read.text,
        uniqueNames:
          messages === undefined
            ? undefined
            : new Set(messages.map((message) => message.uniqueName)),
      });
      if (uidlist === undefined) return () => undefined;
      if (
        append &&
        messages !== undefined &&
        uidlist.version === 3 &&
        unlistedMessages(uidlist, messages).length > 0
      ) {
        uidlist = await appendDovecotUidlist({ file, messages, lockWaitMs });
        if (uidlist === undefined) return () => undefined;
      }
      const { records, uidValidity } = uidlist;
      const byUniqueName = new Map(
        records.map((record) => [parseMaildirName(record.fileName).uniqueName, record]),
      );
      return (message) => {
        const record = byUniqueName.get(message.uniqueName);
        if (record === undefined) return undefined;
        const saved = record.extensions.get("P");
        if (saved !== undefined) return saved === "" ? message.base : saved;
        if (uidValidity === undefined) return undefined;
        return format({
          uid: record.uid,
          uidValidity,
          guid: record.extensions.get("G") ?? message.base,
          fileName: message.base,
        });
      };
    },
  };
}
