/**
 * A named instant in a fetch where a crash must leave the mailbox consistent. When the
 * environment variable `APOP_TEST_CRASH_AT` names it (`name`, or `name:N` for its N-th
 * passage), the process kills itself with SIGKILL right there, with no cleanup, exactly as a
 * power cut or `kill -9` would. This exists for the crash-safety tests, which cannot
 * otherwise stop the program between two syscalls; it costs one comparison in normal runs.
 *
 * The points, in the order a fetch passes them: `maildir-after-write` (message in tmp/, not
 * synced), `maildir-after-rename` (in new/, directory not yet synced), `maildir-after-deliver`
 * (synced, state file not yet saved), `mbox-after-spool`, `mbox-after-journal`,
 * `mbox-mid-append` (half the message appended), `mbox-after-append` (synced, UID not yet
 * recorded), `before-quit` (everything local and saved, DELEs sent, QUIT not yet sent).
 */
export function crashPoint(name: string): void {
  const wanted = process.env.APOP_TEST_CRASH_AT;
  if (wanted === undefined || !wanted.startsWith(name)) return;
  const passage = (passages.get(name) ?? 0) + 1;
  passages.set(name, passage);
  if (wanted === name || wanted === `${name}:${passage}`) process.kill(process.pid, "SIGKILL");
}

const passages = new Map<string, number>();
