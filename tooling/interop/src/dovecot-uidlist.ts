import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { DeliveredMessage } from "./write-maildir.ts";

/**
 * The UIDLs Dovecot must show for a Maildir, from its own `dovecot-uidlist`: with the default
 * `pop3_uidl_format = %08Xu%08Xv`, the IMAP UID and the UIDVALIDITY, each as eight hex
 * digits. In LOWER case: Dovecot's `%X` modifier writes lower-case hex (seen on the wire from
 * Dovecot 2.3.19: `1 000000016b07d92a`), whatever the capital X suggests. The header line is `3 V<uidvalidity> N<next uid> ...`; each record is
 * `<uid> [fields] :<file name>`.
 */
export async function readDovecotUidls(
  maildir: string,
  delivered: readonly DeliveredMessage[],
): Promise<string[]> {
  const text = await readFile(join(maildir, "dovecot-uidlist"), "utf8");
  const [header = "", ...records] = text.split("\n");
  const validity = /\bV(\d+)\b/.exec(header)?.[1];
  if (validity === undefined)
    throw new Error(`dovecot-uidlist: no UIDVALIDITY in ${JSON.stringify(header)}`);
  const uidByName = new Map<string, number>();
  for (const record of records) {
    const match = /^(\d+)\b.*?:([^:]+?)(?::2,.*)?$/.exec(record);
    if (match !== null) uidByName.set(match[2] as string, Number(match[1]));
  }
  const hex = (value: number): string => value.toString(16).padStart(8, "0");
  return delivered.map((entry) => {
    const uid = uidByName.get(entry.uniqueName);
    if (uid === undefined) throw new Error(`dovecot-uidlist has no record for ${entry.uniqueName}`);
    return `${hex(uid)}${hex(Number(validity))}`;
  });
}
