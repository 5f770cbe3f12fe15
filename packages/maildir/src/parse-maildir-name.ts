/** What a Maildir file name says about its message. */
export interface MaildirName {
  /** The file name as found in `new/` or `cur/`. */
  readonly fileName: string;
  /**
   * Everything before the info separator `:` (`:2,<flags>`), as Dovecot's "base filename":
   * still with any `,S=` / `,W=` fields.
   */
  readonly base: string;
  /**
   * The Maildir unique name: the base without its `,<letter>=<value>` fields. It stays the
   * same when the message moves from `new/` to `cur/` and when its flags change.
   */
  readonly uniqueName: string;
  /** Seconds since the epoch from the leading `<digits>.` of the name, when it has them. */
  readonly deliveredAt: number | undefined;
  /** The `,W=<n>` field: the size with CRLF line endings, i.e. the POP3 wire size. */
  readonly wireSize: number | undefined;
}

/** The start of the first `,<letter>=` field (Courier and Dovecot add `,S=` and `,W=`). */
const FIELDS = /,[A-Za-z]=/;
const DECIMAL = /^\d{1,15}$/;
const DELIVERED_AT = /^(\d{1,15})\./;

/**
 * Splits a Maildir file name (cr.yp.to/proto/maildir.html; Dovecot's `,S=`/`,W=` extension).
 *
 * `1035478339.27041_118.foo.org,S=1000,W=1030:2,S` gives the unique name
 * `1035478339.27041_118.foo.org`, delivered at 1035478339, wire size 1030. `,S=` is the size
 * on disk and is never used as the wire size. A `,W=` that is not a plain decimal number is
 * ignored (the size is then counted).
 */
export function parseMaildirName(fileName: string): MaildirName {
  const base = baseOf(fileName);
  const fields = base.search(FIELDS);
  const uniqueName = fields === -1 ? base : base.slice(0, fields);
  let wireSize: number | undefined;
  if (fields !== -1) {
    // Each `,W=<value>` field in turn, the value running to the next `,`; the last one that is
    // a decimal number counts. Found with `indexOf`, not a regular expression's `matchAll`
    // (half the time per name; a scan parses every name of the Maildir at each login).
    for (let at = base.indexOf(",W=", fields); at !== -1; at = base.indexOf(",W=", at + 3)) {
      const end = base.indexOf(",", at + 3);
      const value = end === -1 ? base.slice(at + 3) : base.slice(at + 3, end);
      if (DECIMAL.test(value)) wireSize = Number(value);
    }
  }
  const time = DELIVERED_AT.exec(uniqueName)?.[1];
  return {
    fileName,
    base,
    uniqueName,
    deliveredAt: time === undefined ? undefined : Number(time),
    wireSize,
  };
}

/**
 * `parseMaildirName(fileName).uniqueName` alone, for a name that is only looked up: Dovecot's
 * uidlist may list millions of names, few of them in the snapshot.
 */
export function maildirUniqueName(fileName: string): string {
  const base = baseOf(fileName);
  const fields = base.search(FIELDS);
  return fields === -1 ? base : base.slice(0, fields);
}

function baseOf(fileName: string): string {
  const colon = fileName.indexOf(":");
  return colon === -1 ? fileName : fileName.slice(0, colon);
}
