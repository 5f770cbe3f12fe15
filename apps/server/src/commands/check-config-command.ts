import { ExitCode } from "../cli/exit-code.ts";
import { formatHostPort } from "../config/host-port.ts";
import type { ResolvedConfig } from "../config/resolve-config.ts";
import { prepareServer } from "../serving/prepare-server.ts";

/**
 * `apop-server check-config [flags]`: everything a start would check (configuration, users
 * file, certificate and key, Maildir root, `--user`), without binding a port or writing a
 * file. Prints `OK` and a summary on stdout, warnings as `warning:` lines, and exits 0; the
 * problems, if any, surface as a `CliError` (exit 2) from `prepareServer`.
 */
export async function checkConfigCommand(options: {
  resolved: ResolvedConfig;
  stdout: (text: string) => void;
}): Promise<ExitCode> {
  const { config } = options.resolved;
  const prepared = await prepareServer(config);
  const lines = [...options.resolved.warnings, ...prepared.warnings].map((w) => `warning: ${w}`);
  const listeners = [
    ...config.listen.map((l) => `${formatHostPort(l)} (${prepared.tls ? "STLS" : "no TLS"})`),
    ...config.tlsListen.map((l) => `${formatHostPort(l)} (implicit TLS)`),
  ];
  const clear = [...prepared.users.values()].filter((u) => u.credential.kind === "clear").length;
  lines.push(
    `OK: ${prepared.users.size} users (${clear} with a clear secret for APOP), listeners ${listeners.join(", ")}, Maildirs in ${config.maildirRoot}`,
  );
  options.stdout(`${lines.join("\n")}\n`);
  return ExitCode.ok;
}
