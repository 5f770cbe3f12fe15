/**
 * Whether a process with this pid may still run on this machine, for deciding if a lock it
 * holds is stale. `false` only when the kernel says there is no such process (ESRCH): EPERM
 * means it exists but belongs to someone else, and any other answer proves nothing. A pid
 * that is not a positive safe integer is never probed (0 and negative pids would signal a
 * process group) and counts as alive: a lock whose owner cannot be told is never broken on
 * the strength of its pid.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
