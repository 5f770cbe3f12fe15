import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import type { CommandLine } from "../cli/parse-command-line.ts";
import { readPassword } from "../cli/read-password.ts";
import { type ConfigLayer, getPath, mergeLayers } from "../config/config-layer.ts";
import { readConfigFile } from "../config/read-config-file.ts";
import { readEnvLayer } from "../config/read-env-layer.ts";
import { checkUserName, parseUsersFile } from "../users/parse-users-file.ts";
import {
  formatStoredPassword,
  WRITABLE_SCHEMES,
  type WritableScheme,
} from "../users/password-scheme.ts";

/**
 * `apop-server add-user NAME --users FILE [--scheme PLAIN|SSHA512|SHA512-CRYPT|SCRAM-SHA-256] [--force]`.
 *
 * The users file comes from `--users`, `APOP_SERVER_USERS` or the config file. A missing
 * file is created with mode 0600; an existing one is rewritten through a temporary file and
 * a rename (same mode and owner), so a running server never reads half of it. Comments,
 * other users and the fields after the password are kept. A name already present is refused
 * unless `--force`; a file with problems is refused as the server would refuse it.
 *
 * The default scheme is PLAIN, the only one APOP and CRAM-MD5 can use (RFC 1939 section 7).
 */
export async function addUserCommand(options: {
  commandLine: CommandLine;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stderr: (text: string) => void;
}): Promise<ExitCode> {
  const { commandLine, env, cwd } = options;
  const name = commandLine.userName as string;
  const nameProblem = checkUserName(name);
  if (nameProblem !== null) throw failure(nameProblem);
  const scheme = (commandLine.scheme ?? "PLAIN").toUpperCase();
  if (!(WRITABLE_SCHEMES as readonly string[]).includes(scheme)) {
    throw failure(`--scheme ${commandLine.scheme}: expected ${WRITABLE_SCHEMES.join(", ")}`);
  }
  const file = usersFile({ commandLine, env, cwd });

  let existing: { text: string; mode: number; uid: number; gid: number } | null = null;
  try {
    const stats = statSync(file);
    existing = {
      text: readFileSync(file, "utf8"),
      mode: stats.mode & 0o7777,
      uid: stats.uid,
      gid: stats.gid,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw failure(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  const lines = existing === null ? [] : existing.text.split("\n");
  let replaced: number | null = null;
  if (existing !== null) {
    const { users, problems } = parseUsersFile({ text: existing.text, file });
    if (problems.length > 0) {
      throw new CliError({
        exitCode: ExitCode.config,
        message: [
          `apop-server add-user: fix ${file} first:`,
          ...problems.map((p) => `users: ${p}`),
        ].join("\n"),
      });
    }
    const entry = users.get(name);
    if (entry !== undefined && !commandLine.force) {
      throw failure(
        `user ${JSON.stringify(name)} already exists (${file}:${entry.line}); --force replaces it`,
      );
    }
    replaced = entry?.line ?? null;
  }

  const password = await readPassword({ env, user: name });
  let field: string;
  try {
    field = formatStoredPassword({ scheme: scheme as WritableScheme, password, randomBytes });
  } catch (error) {
    throw failure((error as Error).message);
  }
  if (replaced !== null) {
    // Keep uid, gid, home and extra fields: only the password changes.
    const fields = (lines[replaced - 1] as string).replace(/\r$/, "").split(":");
    fields[1] = field;
    lines[replaced - 1] = fields.join(":");
  } else {
    if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    lines.push(`${name}:${field}`, "");
  }
  const text = lines.join("\n");

  if (existing === null) {
    writeFileSync(file, text, { mode: 0o600, flag: "wx" });
  } else {
    replaceFile({ ...existing, file, text });
  }
  const note =
    scheme === "PLAIN"
      ? "stored in clear, as APOP and CRAM-MD5 need; keep the file mode 0600"
      : scheme === "SCRAM-SHA-256"
        ? "SCRAM keys: SCRAM-SHA-256(-PLUS), and USER/PASS and PLAIN over TLS work, APOP and CRAM-MD5 do not"
        : "hashed: USER/PASS and PLAIN (over TLS) work, APOP and CRAM-MD5 do not";
  options.stderr(
    `apop-server: ${replaced === null ? "added" : "replaced"} user ${JSON.stringify(name)} in ${file} ({${scheme}}: ${note}). A running server reads it on SIGHUP.\n`,
  );
  return ExitCode.ok;
}

function usersFile(options: {
  commandLine: CommandLine;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): string {
  const { commandLine, env, cwd } = options;
  const layers: ConfigLayer[] = [];
  const configFile = commandLine.configFile ?? (env.APOP_SERVER_CONFIG || undefined);
  if (configFile !== undefined) layers.push(readConfigFile(path.resolve(cwd, configFile)));
  layers.push(readEnvLayer({ env, cwd }).layer, commandLine.flags);
  const file = getPath(mergeLayers(layers), ["users"]);
  if (typeof file !== "string" || file === "") {
    throw failure("which users file? Give --users FILE (or APOP_SERVER_USERS, or --config)");
  }
  return file;
}

/** Writes `text` next to `file` with its mode and owner, then renames it over `file`. */
function replaceFile(options: {
  file: string;
  text: string;
  mode: number;
  uid: number;
  gid: number;
}): void {
  const temporary = path.join(
    path.dirname(options.file),
    `.${path.basename(options.file)}.${process.pid}.tmp`,
  );
  try {
    writeFileSync(temporary, options.text, { mode: 0o600, flag: "wx" });
    // The umask applied at creation; the old file's mode is what the operator chose.
    chmodSync(temporary, options.mode & 0o777);
    if (process.getuid?.() === 0) chownSync(temporary, options.uid, options.gid);
    renameSync(temporary, options.file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {}
    throw failure(`cannot write ${options.file}: ${(error as Error).message}`);
  }
}

function failure(problem: string): CliError {
  return new CliError({ exitCode: ExitCode.config, message: `apop-server add-user: ${problem}` });
}
