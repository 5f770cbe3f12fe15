/**
 * One temporary directory per test file: the server's mail root, a HOME for apop (its state
 * goes to `<home>/state`), and a fresh user per test so tests never share a mailbox.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestMessage, writeMailbox } from "./messages.ts";

export interface Workspace {
  readonly dir: string;
  /** The server's Maildir root: `<root>/<user>/`. */
  readonly root: string;
  /** A new user with these messages on the server, and a HOME of its own. */
  user(messages: readonly TestMessage[]): { name: string; home: string; serverMaildir: string };
  cleanup(): void;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "apop-cli-test-"));
  const root = join(dir, "server");
  let count = 0;
  return {
    dir,
    root,
    user(messages) {
      const name = `user${++count}`;
      const serverMaildir = writeMailbox(root, name, messages);
      return { name, home: join(dir, `home-${name}`), serverMaildir };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The message files left in a server Maildir (new/ and cur/). */
export function serverMessageCount(maildir: string): number {
  return ["new", "cur"].reduce(
    (sum, sub) =>
      sum + (existsSync(join(maildir, sub)) ? readdirSync(join(maildir, sub)).length : 0),
    0,
  );
}
