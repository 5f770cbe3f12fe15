/**
 * The servers a test file runs its peers against, for the whole file: a temporary folder,
 * apop-server serving Maildirs written there, and Dovecot with its own copy of the mail.
 * All stopped, and the folder removed, after the file.
 */
import { join } from "node:path";
import { afterAll, beforeAll, inject } from "vitest";
import { stopAllChildren } from "../../src/children.ts";
import type { CorpusMessage } from "../../src/corpus.ts";
import { type ApopServer, startApopServer } from "../../src/start-apop-server.ts";
import { type Dovecot, startDovecot } from "../../src/start-dovecot.ts";
import { makeTempDir, removeTempDir } from "../../src/temp-dir.ts";
import type { Account } from "../../src/users.ts";
import { type DeliveredMessage, writeMaildir } from "../../src/write-maildir.ts";

/** Whose mail a server holds, in order. */
export type Mail = readonly (readonly [Account, readonly CorpusMessage[]])[];

export interface Peers {
  /** The file's temporary folder. */
  dir(): string;
  /** apop-server's Maildir root (one Maildir per user). */
  maildirRoot(): string;
  apop(): ApopServer;
  dovecot(): Dovecot;
  /** What was written into `account`'s Maildir for apop-server. */
  delivered(account: Account): DeliveredMessage[];
}

/**
 * Starts apop-server when `apop` is given (under `runtime`, default this Node), then Dovecot
 * when `dovecot` is, in `label`'s folder.
 */
export function usePeers(
  label: string,
  servers: { apop?: Mail; dovecot?: Mail; runtime?: string },
): Peers {
  const certificates = inject("certificates");
  let dir: string | undefined;
  let server: ApopServer | undefined;
  let dovecot: Dovecot | undefined;
  const delivered = new Map<string, DeliveredMessage[]>();
  const maildirRoot = (): string => join(made(dir, "temporary folder"), "maildirs");

  beforeAll(async () => {
    dir = await makeTempDir(label);
    if (servers.apop !== undefined) {
      for (const [account, messages] of servers.apop) {
        const dirOf = join(maildirRoot(), account.name);
        delivered.set(account.name, await writeMaildir({ dir: dirOf, messages }));
      }
      const users = servers.apop.map(([account]) => account);
      server = await startApopServer({
        dir,
        maildirRoot: maildirRoot(),
        users,
        certificates,
        ...(servers.runtime === undefined ? {} : { runtime: servers.runtime }),
      });
    }
    if (servers.dovecot !== undefined) {
      dovecot = await startDovecot({
        dir,
        certificates,
        users: servers.dovecot.map(([account]) => account),
        mail: Object.fromEntries(servers.dovecot.map(([account, mail]) => [account.name, mail])),
      });
    }
  });

  afterAll(async () => {
    await server?.stop();
    await dovecot?.stop();
    await stopAllChildren();
    await removeTempDir(dir);
  });

  return {
    dir: () => made(dir, "temporary folder"),
    maildirRoot,
    apop: () => made(server, "apop-server"),
    dovecot: () => made(dovecot, "dovecot"),
    delivered: (account) => delivered.get(account.name) ?? [],
  };
}

function made<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} did not start`);
  return value;
}
