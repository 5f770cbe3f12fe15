/**
 * Reads what apop wrote: the messages of a Maildir by UID, and the messages of an mboxrd
 * file; and builds the mbox apop must have written, with an mboxrd quoting written
 * independently of apop's streaming one.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMaildirFileName } from "../../src/destinations/maildir-file-name.ts";
import { uidKey } from "../../src/destinations/uid-key.ts";
import { localBytes, serverUid, type TestMessage } from "./messages.ts";

export interface LocalMaildir {
  /** UID key -> the contents of every file in new/ and cur/ with that key. */
  readonly byKey: Map<string, Buffer[]>;
  /** Files in new/ and cur/ that apop did not name. */
  readonly foreign: string[];
  /** Every file name in tmp/. */
  readonly tmp: string[];
}

export function readMaildir(directory: string): LocalMaildir {
  const byKey = new Map<string, Buffer[]>();
  const foreign: string[] = [];
  for (const sub of ["new", "cur"]) {
    const dir = join(directory, sub);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const parsed = parseMaildirFileName(name);
      if (parsed === null) {
        foreign.push(name);
        continue;
      }
      const list = byKey.get(parsed.uidKey) ?? [];
      list.push(readFileSync(join(dir, name)));
      byKey.set(parsed.uidKey, list);
    }
  }
  const tmpDir = join(directory, "tmp");
  return { byKey, foreign, tmp: existsSync(tmpDir) ? readdirSync(tmpDir) : [] };
}

/**
 * Checks that the Maildir holds exactly these messages (by server UID, `serverUid(i)`), each
 * once and byte-exact; returns a list of problems (empty when all is well).
 */
export function maildirProblems(directory: string, messages: readonly TestMessage[]): string[] {
  const local = readMaildir(directory);
  const problems: string[] = [];
  if (local.foreign.length > 0) problems.push(`foreign files: ${local.foreign.join(", ")}`);
  messages.forEach((message, index) => {
    const copies = local.byKey.get(uidKey(serverUid(index))) ?? [];
    if (copies.length !== 1) problems.push(`${message.name}: ${copies.length} copies`);
    else if (!copies[0]?.equals(localBytes(message)))
      problems.push(`${message.name}: content differs`);
  });
  if (local.byKey.size !== messages.length) {
    problems.push(`${local.byKey.size} distinct UIDs, expected ${messages.length}`);
  }
  return problems;
}

/** The mboxrd file apop must write for these messages, with `DATE` for every date. */
export function expectedMbox(messages: readonly TestMessage[]): string {
  return messages
    .map((message) => {
      const text = localBytes(message).toString("latin1");
      const quoted = text.replace(/^(>*From )/gm, ">$1");
      const ended = quoted === "" || quoted.endsWith("\n") ? quoted : `${quoted}\n`;
      return `From ${message.sender} DATE\n${ended}\n`;
    })
    .join("");
}

/** An mbox as text with the date of every `From ` line replaced by `DATE`. */
export function readMboxWithoutDates(file: string): string {
  return readFileSync(file, "latin1").replace(
    /^From (\S+) [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/gm,
    "From $1 DATE",
  );
}
