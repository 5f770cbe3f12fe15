import { envName, SETTINGS } from "../config/settings.ts";

const COLUMN = 36;

/** `apop-server --help`, with the settings table rendered in it. */
export function helpText(version: string): string {
  const row = (left: string, ...right: string[]): string =>
    right.map((text, i) => `${(i === 0 ? left : "").padEnd(COLUMN)}${text}`).join("\n");
  const settings = SETTINGS.map((setting) =>
    row(
      `  --${setting.flag}${setting.value === undefined ? "" : ` ${setting.value}`}`,
      setting.help,
      `env ${envName(setting.flag)}, config "${setting.key}"`,
    ),
  );
  return `apop-server ${version}: a POP3 server (STLS, implicit TLS, APOP) for Maildirs

Usage:
  apop-server                       run the demo (as --demo when no APOP_SERVER_* is set)
  apop-server [--config FILE] [settings]
                                    run the server
  apop-server check-config [--config FILE] [settings]
                                    check configuration, users file, certificate; exit 0 or 2
  apop-server add-user NAME --users FILE [--scheme PLAIN|SSHA512|SHA512-CRYPT|SCRAM-SHA-256] [--force]
                                    add (or with --force replace) a user; the password comes
                                    from APOP_PASSWORD or is typed twice at the terminal

Options:
${row("  --config FILE", "JSON config file", "env APOP_SERVER_CONFIG")}
${row("  --demo", `demo user "demo", password "demo", on 127.0.0.1:1110`)}
${row("  --data-dir DIR", "demo data folder (default ./data/demo); implies --demo")}
${row("  -h, --help", "this text")}
${row("  -V, --version", "the version")}

Settings (flags win over the environment, which wins over the config file):
${settings.join("\n")}

Signals: SIGHUP reloads the users file; SIGTERM and SIGINT stop gracefully (a second one
stops at once).
Exit codes: 0 ok, 1 unexpected failure, 2 configuration or usage, 3 cannot listen,
4 cannot switch to --user.
`;
}
