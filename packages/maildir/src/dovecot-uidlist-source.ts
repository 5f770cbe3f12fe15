import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseDovecotUidlist } from "./parse-dovecot-uidlist.ts";
import { parseMaildirName } from "./parse-maildir-name.ts";
import { errnoCode } from "./to-store-error.ts";
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
}

const hex8 = (value: number): string => value.toString(16).padStart(8, "0");

/** Dovecot's default `pop3_uidl_format`, `%08Xu%08Xv`. */
export function dovecotDefaultUidl(fields: DovecotUidFields): string {
  return `${hex8(fields.uid)}${hex8(fields.uidValidity)}`;
}

/**
 * Reads Dovecot's `dovecot-uidlist` (version 3, or version 1 as Courier writes it), so a
 * mailbox moved from Dovecot keeps the UIDLs its POP3 clients already know.
 *
 * Per message, matched by Maildir unique name (the uidlist keeps the last known file name,
 * flags and `,S=`/`,W=` fields do not matter):
 * - a `P<uidl>` extension (Dovecot's saved POP3 UIDL, `pop3_save_uidl` or a migration) wins;
 *   an empty `P` means the base file name, as in Dovecot;
 * - otherwise `format` of the UID and the header's UIDVALIDITY (`V`).
 *
 * Messages without an entry, and all messages when the file is missing or its header cannot
 * be read, fall back to the store's default (the unique name). Other read errors fail the
 * `open`: silently changing every UIDL would make clients download everything again.
 */
export function dovecotUidlistSource(options: DovecotUidlistSourceOptions = {}): UidSource {
  const format = options.format ?? dovecotDefaultUidl;
  const fileName = options.fileName ?? "dovecot-uidlist";
  return {
    async load({ maildir }) {
      let text: string;
      try {
        text = await readFile(path.join(maildir, fileName), "utf8");
      } catch (error) {
        if (errnoCode(error) === "ENOENT") return () => undefined;
        throw error;
      }
      const uidlist = parseDovecotUidlist(text);
      if (uidlist === undefined) return () => undefined;
      const byUniqueName = new Map(
        uidlist.records.map((record) => [parseMaildirName(record.fileName).uniqueName, record]),
      );
      return (message) => {
        const record = byUniqueName.get(message.uniqueName);
        if (record === undefined) return undefined;
        const saved = record.extensions.get("P");
        if (saved !== undefined) return saved === "" ? message.base : saved;
        if (uidlist.uidValidity === undefined) return undefined;
        return format({
          uid: record.uid,
          uidValidity: uidlist.uidValidity,
          guid: record.extensions.get("G") ?? message.base,
          fileName: message.base,
        });
      };
    },
  };
}
