import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";

/**
 * Wraps a file-system failure on the local side (Maildir, mbox, spool, state file) as exit 7,
 * naming the file. Network errors carry errno codes too (`ECONNRESET`), so local I/O is
 * wrapped where it happens rather than guessed from the code later.
 */
export function localWriteError(options: { what: string; path: string; error: unknown }): CliError {
  const { what, path, error } = options;
  if (error instanceof CliError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reason = code === undefined ? String((error as Error)?.message ?? error) : describe(code);
  return new CliError({
    exitCode: ExitCode.localWrite,
    message: `cannot ${what} ${path}: ${reason}`,
    cause: error,
  });
}

function describe(code: string): string {
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOSPC":
      return "no space left on the device";
    case "EDQUOT":
      return "disk quota exceeded";
    case "EFBIG":
      return "file too large";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EISDIR":
      return "it is a directory";
    case "EROFS":
      return "read-only file system";
    case "ENOENT":
      return "no such file or directory";
    default:
      return code;
  }
}

/** Runs `task`, turning any failure into `localWriteError`. */
export async function writingLocally<T>(
  options: { what: string; path: string },
  task: () => Promise<T>,
): Promise<T> {
  try {
    return await task();
  } catch (error) {
    throw localWriteError({ ...options, error });
  }
}

/** `writingLocally` for a synchronous task. */
export function writingLocallySync<T>(options: { what: string; path: string }, task: () => T): T {
  try {
    return task();
  } catch (error) {
    throw localWriteError({ ...options, error });
  }
}
