import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/** Who holds a lock: enough to tell this process, a live process and a dead one apart. */
export interface ProcessIdentity {
  /** `os.hostname()`, for people reading the lock file. */
  readonly host: string;
  /**
   * Where `pid` means something: on Linux the boot id plus the pid namespace (two containers
   * may share a host name and both be pid 1), elsewhere the platform plus the host name.
   * `undefined` when it cannot be told; then pids are never trusted.
   */
  readonly machine: string | undefined;
  readonly pid: number;
  /**
   * When the process started. On Linux `linux:<starttime>` from `/proc/<pid>/stat` (clock
   * ticks since boot, exact, and readable for other processes too); elsewhere `ms:<epoch ms>`
   * from `process.uptime()`, which is the same in every thread and module copy of a process.
   */
  readonly processStart: string;
}

let current: ProcessIdentity | undefined;

/** The identity of this process (computed once). */
export function currentProcessIdentity(): ProcessIdentity {
  current ??= {
    host: hostname(),
    machine: currentMachine(),
    pid: process.pid,
    processStart:
      linuxProcessStart(process.pid) ?? `ms:${Math.round(Date.now() - process.uptime() * 1000)}`,
  };
  return current;
}

function currentMachine(): string | undefined {
  if (process.platform !== "linux") return `${process.platform}:${hostname()}`;
  try {
    const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const pidNamespace = readlinkSync("/proc/self/ns/pid");
    return `linux:${bootId}:${pidNamespace}`;
  } catch {
    return undefined;
  }
}

/** `linux:<starttime>` of a process on this machine, or `undefined` (not Linux, no such pid). */
export function linuxProcessStart(pid: number): string | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 is the command in parentheses and may hold anything; count after the last ")".
    // Field 22, starttime, is then the 20th field (index 19).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = fields[19];
    return start !== undefined && /^\d+$/.test(start) ? `linux:${start}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when two `processStart` values name the same process start. `ms:` values may differ
 * by rounding and clock jitter between two module copies, so they match within one second.
 */
export function sameProcessStart(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.startsWith("ms:") && b.startsWith("ms:")) {
    return Math.abs(Number(a.slice(3)) - Number(b.slice(3))) <= 1000;
  }
  return false;
}
