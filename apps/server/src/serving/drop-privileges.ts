import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { lookupSystemUser, type SystemUser } from "../users/lookup-system-user.ts";

/**
 * Switches the process to `name` (`--user`), after the listeners are bound so that ports
 * below 1024 work: supplementary groups first (root's would otherwise stay), then the group,
 * then the user, the only order in which each step is still allowed.
 *
 * Throws `CliError` (exit 4) when the user is unknown, when the process is not root and is
 * not already that user, or when any step fails; and, as a last check, when the process is
 * still root afterwards: a failed drop must never go on as root.
 */
export function dropPrivileges(name: string): SystemUser {
  const target = lookupSystemUser(name);
  if (target === null) throw failure(`--user ${name}: no such system user`);
  if (target.uid === 0) throw failure(`--user ${name}: this is root; name an unprivileged account`);
  const uid = process.getuid?.();
  if (uid === undefined || process.setuid === undefined || process.setgid === undefined) {
    throw failure("--user is not supported on this platform");
  }
  if (uid !== 0) {
    if (uid === target.uid) return target;
    throw failure(`--user ${name}: only root can switch users (running as uid ${uid})`);
  }
  // Node has initgroups at run time (the user's supplementary groups, such as `mail`), but
  // @types/node does not declare it; setgroups at least drops root's own groups.
  const { initgroups } = process as { initgroups?: (user: string, group: number) => void };
  try {
    if (initgroups !== undefined) initgroups(target.name, target.gid);
    else process.setgroups?.([target.gid]);
    process.setgid(target.gid);
    process.setuid(target.uid);
  } catch (error) {
    throw failure(
      `--user ${name}: cannot switch to uid ${target.uid}: ${(error as Error).message}`,
    );
  }
  const now = { uid: process.getuid?.(), euid: process.geteuid?.(), gid: process.getgid?.() };
  if (now.uid !== target.uid || now.euid !== target.uid || now.gid !== target.gid) {
    throw failure(`--user ${name}: the switch did not take effect; refusing to go on`);
  }
  return target;
}

function failure(line: string): CliError {
  return new CliError({ exitCode: ExitCode.privileges, message: `apop-server: ${line}` });
}
