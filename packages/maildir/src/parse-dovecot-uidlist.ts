import { maildirUniqueName } from "./parse-maildir-name.ts";

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
 * What records without extension fields share: one empty map that cannot be changed, instead
 * of a `new Map()` each. A `dovecot-uidlist` is its owner's to write, and 64 MiB of `1 a` lines
 * are 16 million records (docs/security.md, "Quadratic work and memory a mailbox owner
 * controls").
 */
export const NO_EXTENSIONS: ReadonlyMap<string, string> = readOnlyEmptyMap();

function readOnlyEmptyMap(): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const change of ["set", "delete", "clear"]) {
    Object.defineProperty(map, change, {
      value: () => {
        throw new TypeError("the extensions of a uidlist record are read-only");
      },
    });
  }
  return Object.freeze(map);
}

/** A parsed `dovecot-uidlist`, as the store reads it for one snapshot. */
export interface DovecotUidlistFor extends DovecotUidlist {
  /** One past the highest UID of all the file's records (kept or not); 1 when there is none. */
  readonly afterLastUid: number;
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
  return parseDovecotUidlistFor({ text });
}

/**
 * `parseDovecotUidlist` keeping only the records whose file name has one of `uniqueNames`
 * (every record when absent), and telling the highest UID of all (`afterLastUid`). The store
 * needs no more for one snapshot, and the file is its owner's to write: what its memory holds
 * is then bounded by the snapshot, not by the file (docs/security.md, "Quadratic work and
 * memory a mailbox owner controls"). Lines are taken one at a time, not split into an array.
 */
export function parseDovecotUidlistFor(options: {
  readonly text: string;
  readonly uniqueNames?: ReadonlySet<string> | undefined;
}): DovecotUidlistFor | undefined {
  const { text, uniqueNames } = options;
  const firstEnd = text.indexOf("\n");
  const header = (firstEnd === -1 ? text : text.slice(0, firstEnd)).trimEnd().split(" ");
  const version = header[0];
  if (version !== "1" && version !== "3") return undefined;
  const v3 = version === "3";
  const records: DovecotUidlistRecord[] = [];
  let afterLastUid = 1;
  for (let start = firstEnd + 1; firstEnd !== -1 && start <= text.length; ) {
    const end = text.indexOf("\n", start);
    const line = text.slice(start, end === -1 ? text.length : end).trimEnd();
    start = end === -1 ? text.length + 1 : end + 1;
    // Each line costs no more than its UID and file name until it is known to be kept.
    const fileAt = v3 ? v3FileNameAt(line) : v1FileNameAt(line);
    if (fileAt === -1) continue;
    const uidEnd = line.indexOf(" ");
    const uid = uint32(line.slice(0, uidEnd));
    if (uid === undefined || (v3 && uid === 0)) continue;
    if (uid >= afterLastUid) afterLastUid = uid + 1;
    const fileName = line.slice(fileAt);
    if (uniqueNames !== undefined && !uniqueNames.has(maildirUniqueName(fileName))) continue;
    const extensions = v3 ? parseExtensions(line.slice(uidEnd + 1, fileAt - 2)) : NO_EXTENSIONS;
    records.push({ uid, extensions, fileName });
  }
  if (version === "3") {
    const fields = new Map(header.slice(1).map((field) => [field.slice(0, 1), field.slice(1)]));
    return {
      version: 3,
      uidValidity: uint32(fields.get("V")),
      nextUid: uint32(fields.get("N")),
      guid: fields.get("G"),
      records,
      afterLastUid,
    };
  }
  return {
    version: 1,
    uidValidity: uint32(header[1]),
    nextUid: uint32(header[2]),
    guid: undefined,
    records,
    afterLastUid,
  };
}

/** `^(\d+) (\S.*)$` without capturing: `.` stops at these, so a name holding one is no match. */
const V1_LINE = /^\d+ \S/;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** Version 1: `<uid> <filename>`, the name starting with a non-space: where it starts, or -1. */
function v1FileNameAt(line: string): number {
  return V1_LINE.test(line) && !LINE_BREAK.test(line) ? line.indexOf(" ") + 1 : -1;
}

/** Version 3: `<uid> [<key><value> ...] :<filename>`: where the name starts, or -1. */
function v3FileNameAt(line: string): number {
  const colon = line.indexOf(" :");
  return colon === -1 || colon + 2 === line.length ? -1 : colon + 2;
}

/** The `<key><value>` fields between the UID and ` :`, by key letter A-Z. */
function parseExtensions(fields: string): ReadonlyMap<string, string> {
  let extensions: Map<string, string> | undefined;
  for (const field of fields.split(" ")) {
    const key = field.slice(0, 1);
    if (key < "A" || key > "Z") continue;
    extensions ??= new Map();
    extensions.set(key, field.slice(1));
  }
  return extensions ?? NO_EXTENSIONS;
}
