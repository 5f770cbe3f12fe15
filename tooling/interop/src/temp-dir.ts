import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A fresh folder under the system's temp dir for one test file's peers: configurations,
 * mailboxes, logs. Mode 0755, so that the unprivileged users some peers switch to (Dovecot's
 * login and mail processes, getmail run as `nobody`) can reach what is inside.
 */
export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `apop-interop-${label}-`));
  await chmod(dir, 0o755);
  return dir;
}

/** Removes a temp folder and everything in it; missing is fine. */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir === undefined) return;
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
