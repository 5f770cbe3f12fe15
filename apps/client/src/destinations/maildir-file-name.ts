import { parseMaildirName } from "@apop/maildir";

/**
 * The name apop gives a message it delivers into a Maildir, and its parse.
 *
 * `<seconds>.M<microseconds>P<pid>Q<counter>-<account>-<uid key>.<host>`, for example
 * `1732612345.M402113P9123Q3-7f3a09c1-U1000000001=2EM1P1Q1.mail.example.org`.
 *
 * The first field and the `M`/`P`/`Q` parts make the name unique as the Maildir convention
 * asks (cr.yp.to/proto/maildir.html). The account tag (8 hex digits of the SHA-256 of
 * `user@host`) and the UID key (`uidKey`) let a later run see which UIDs of which mailbox are
 * already delivered, straight from the directory: the Maildir is its own record, so a state
 * file that lags behind (a crash before it was saved) never causes a duplicate. The tag is
 * per mailbox, not per port, so fetching the same mailbox over 995 and over 110 agrees.
 */
export function formatMaildirFileName(options: {
  readonly nowMs: number;
  readonly pid: number;
  readonly counter: number;
  readonly accountTag: string;
  readonly uidKey: string;
  readonly host: string;
}): string {
  const { nowMs, pid, counter, accountTag, uidKey, host } = options;
  const seconds = Math.floor(nowMs / 1000);
  const micros = Math.floor((nowMs % 1000) * 1000);
  return `${seconds}.M${micros}P${pid}Q${counter}-${accountTag}-${uidKey}.${maildirHostName(host)}`;
}

/**
 * The account tag and UID key of a file apop delivered, from its name in `new/`, `cur/` or
 * `tmp/` (after a mail reader added `:2,S` flags or `,S=` sizes); null for any other file.
 */
export function parseMaildirFileName(fileName: string): {
  readonly accountTag: string;
  readonly uidKey: string;
  readonly pid: number;
  /** As written in the name (see `maildirHostName`). */
  readonly host: string;
} | null {
  const match = SHAPE.exec(parseMaildirName(fileName).uniqueName);
  if (match === null) return null;
  return {
    pid: Number(match[1]),
    accountTag: match[2] as string,
    uidKey: match[3] as string,
    host: match[4] as string,
  };
}

const SHAPE = /^\d+\.M\d+P(\d+)Q\d+-([0-9a-f]{8})-([UH][A-Za-z0-9_=-]+)\.(.+)$/;

/**
 * The host name as the last field of a Maildir name: `/`, `:` (and `,`, which starts Maildir++
 * fields) written as octal escapes, as the Maildir convention asks.
 */
export function maildirHostName(host: string): string {
  const cleaned = host.replaceAll("/", "\\057").replaceAll(":", "\\072").replaceAll(",", "\\054");
  return cleaned === "" ? "localhost" : cleaned;
}
