import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { messageIdOf } from "./wire-form.ts";

/**
 * The messages a tool delivered into a folder (a Maildir's `new/` and `cur/`, or a plain
 * folder of files), keyed by their Message-ID, so that they can be matched with the corpus
 * whatever the tool named them. Throws when two files carry the same Message-ID (a message
 * delivered twice) or one carries none.
 */
export async function readByMessageId(dirs: readonly string[]): Promise<Map<string, Buffer>> {
  const byId = new Map<string, Buffer>();
  for (const dir of dirs) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const bytes = await readFile(join(dir, name));
      const id = messageIdOf(bytes);
      if (id === null) throw new Error(`${join(dir, name)}: no Message-ID`);
      if (byId.has(id)) throw new Error(`${join(dir, name)}: ${id} delivered twice`);
      byId.set(id, bytes);
    }
  }
  return byId;
}

/** The Message-ID the corpus gives a message. */
export function corpusMessageId(name: string): string {
  return `<${name}@interop.apop>`;
}

/** The files a Maildir holds in `new/` and `cur/`. */
export function maildirFolders(maildir: string): string[] {
  return [join(maildir, "new"), join(maildir, "cur")];
}
