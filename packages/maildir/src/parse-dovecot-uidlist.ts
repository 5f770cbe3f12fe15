/** One message line of a `dovecot-uidlist`. */
export interface DovecotUidlistRecord {
  readonly uid: number;
  /** Extension fields by key letter (`W` virtual size, `P` POP3 UIDL, `G` GUID, ...). */
  readonly extensions: ReadonlyMap<string, string>;
  /** The last known file name (it may carry old flags). */
  readonly fileName: string;
}

/** A parsed `dovecot-uidlist`. */
export interface DovecotUidlist {
  readonly version: 1 | 3;
  /** The mailbox UIDVALIDITY (`V`), when the header has it. */
  readonly uidValidity: number | undefined;
  readonly nextUid: number | undefined;
  /** The mailbox GUID (`G`), hex. */
  readonly guid: string | undefined;
  readonly records: readonly DovecotUidlistRecord[];
}

const UINT32 = /^\d{1,10}$/;

function uint32(text: string | undefined): number | undefined {
  if (text === undefined || !UINT32.test(text)) return undefined;
  const value = Number(text);
  return value <= 0xffffffff ? value : undefined;
}

/**
 * Parses a `dovecot-uidlist` (Dovecot's maildir-uidlist.c):
 * - version 3: header `3 V<uidvalidity> N<nextuid> G<guid> ...` (any order, unknown keys
 *   skipped), lines `<uid> [<key><value> ...] :<filename>`;
 * - version 1 (also Courier's `courierimapuiddb`): header `1 <uidvalidity> <nextuid>`, lines
 *   `<uid> <filename>`.
 *
 * Answers `undefined` for an empty file or an unknown version. Lines that do not parse are
 * skipped, as Dovecot would rebuild them.
 */
export function parseDovecotUidlist(text: string): DovecotUidlist | undefined {
  const lines = text.split("\n");
  const header = (lines[0] ?? "").trimEnd().split(" ");
  const version = header[0];
  const records: DovecotUidlistRecord[] = [];
  if (version === "3") {
    const fields = new Map(header.slice(1).map((field) => [field.slice(0, 1), field.slice(1)]));
    for (const line of lines.slice(1)) {
      const record = parseV3Line(line.trimEnd());
      if (record !== undefined) records.push(record);
    }
    return {
      version: 3,
      uidValidity: uint32(fields.get("V")),
      nextUid: uint32(fields.get("N")),
      guid: fields.get("G"),
      records,
    };
  }
  if (version === "1") {
    for (const line of lines.slice(1)) {
      const match = /^(\d+) (\S.*)$/.exec(line.trimEnd());
      const uid = uint32(match?.[1]);
      const fileName = match?.[2];
      if (uid !== undefined && fileName !== undefined) {
        records.push({ uid, extensions: new Map(), fileName });
      }
    }
    return {
      version: 1,
      uidValidity: uint32(header[1]),
      nextUid: uint32(header[2]),
      guid: undefined,
      records,
    };
  }
  return undefined;
}

function parseV3Line(line: string): DovecotUidlistRecord | undefined {
  const colon = line.indexOf(" :");
  if (colon === -1) return undefined;
  const [uidText, ...extensionFields] = line.slice(0, colon).split(" ");
  const uid = uint32(uidText);
  const fileName = line.slice(colon + 2);
  if (uid === undefined || uid === 0 || fileName === "") return undefined;
  const extensions = new Map<string, string>();
  for (const field of extensionFields) {
    const key = field.slice(0, 1);
    if (key >= "A" && key <= "Z") extensions.set(key, field.slice(1));
  }
  return { uid, extensions, fileName };
}
