import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach } from "vitest";

const roots: string[] = [];

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A fresh store root under the OS temp dir, removed after the test. */
export function makeRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), "apop-maildir-"));
  roots.push(root);
  return root;
}

/** One message file to put into a Maildir. */
export interface FixtureMessage {
  readonly dir?: "new" | "cur" | "tmp";
  readonly name: string;
  readonly content?: string | Uint8Array;
  /** mtime in seconds since the epoch. */
  readonly mtime?: number;
}

/** Creates `<root>/<user>/{cur,new,tmp}` with the given files; answers the Maildir path. */
export function makeMaildir(
  root: string,
  user: string,
  messages: readonly FixtureMessage[] = [],
): string {
  const maildir = path.join(root, user);
  for (const dir of ["cur", "new", "tmp"]) mkdirSync(path.join(maildir, dir), { recursive: true });
  for (const message of messages) writeMessage(maildir, message);
  return maildir;
}

/** Writes one message file (and sets its mtime when asked). */
export function writeMessage(maildir: string, message: FixtureMessage): string {
  const file = path.join(maildir, message.dir ?? "new", message.name);
  writeFileSync(file, message.content ?? `Subject: ${message.name}\n\nbody\n`);
  if (message.mtime !== undefined) utimesSync(file, message.mtime, message.mtime);
  return file;
}

/** Concatenates the chunks of a message read. */
export async function readAll(
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ text: string; sizes: number[] }> {
  const parts: Uint8Array[] = [];
  // Copied: a chunk's memory is reused once the next one is asked for (`Maildrop.read`).
  for await (const chunk of chunks) parts.push(chunk.slice());
  return {
    text: Buffer.concat(parts).toString("latin1"),
    sizes: parts.map((part) => part.length),
  };
}

/** The rejection of a promise (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}
