import { envName, SETTINGS } from "../config/settings.ts";

/** Help fits an 80-column terminal: the longest line is 79 characters. */
const WIDTH = 79;
/** Where a description starts under its flag. */
const INDENT = 6;

/** `text` broken at spaces into lines of at most `WIDTH`, each indented by `indent`. */
function wrap(text: string, indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.map((l) => `${" ".repeat(indent)}${l}`).join("\n");
}

/** One option: the flag on its own line, what it does indented below it. */
function option(flag: string, ...descriptions: string[]): string {
  return [`  ${flag}`, ...descriptions.map((text) => wrap(text, INDENT))].join("\n");
}

const EXIT_CODES = `Exit codes: 0 ok, 1 unexpected failure, 2 configuration or usage, 3 cannot
listen, 4 cannot switch to --user.`;

const CONFIG_OPTION = option("--config FILE", "JSON config file (env APOP_SERVER_CONFIG)");

function settingsText(): string {
  return SETTINGS.map((setting) =>
    option(
      `--${setting.flag}${setting.value === undefined ? "" : ` ${setting.value}`}`,
      setting.help,
      `env ${envName(setting.flag)}, config "${setting.key}"`,
    ),
  ).join("\n");
}

function general(version: string): string {
  return `apop-server ${version}: a POP3 server (STLS, implicit TLS, APOP) for Maildirs

Usage:
  apop-server [--config FILE] [settings]   run the server
  apop-server --demo [--data-dir DIR]      run the demo (also: no arguments and
                                           no APOP_SERVER_* variable set)
  apop-server check-config [...]           check the configuration; exit 0 or 2
  apop-server add-user NAME --users FILE   add a user to a users file
  apop-server help [COMMAND]               this text, or a command's

Options:
${CONFIG_OPTION}
${option("--demo", `demo user "demo", password "demo", on 127.0.0.1:1110`)}
${option(
  "--data-dir DIR",
  "the demo's users file and Maildir (default $XDG_STATE_HOME/apop-server/demo, else ~/.local/state/apop-server/demo); implies --demo",
)}
${option("-h, --help", "this text (with a command: that command's help)")}
${option("-V, --version", "the version")}

Settings (flags win over the environment, which wins over the config file):
${settingsText()}

Signals: SIGHUP reloads the users file; SIGTERM and SIGINT stop gracefully (a
second one stops at once).
${EXIT_CODES}
`;
}

const CHECK_CONFIG = `Usage: apop-server check-config [--config FILE] [settings]

Checks the configuration as \`apop-server\` with the same arguments would run it:
every setting, the users file, the Maildir root, the certificate and key. Prints
OK and exits 0, or lists every problem and exits 2. Listens on nothing.

${CONFIG_OPTION}
  settings: every setting of \`apop-server --help\`, with the same meaning.

${EXIT_CODES}
`;

const ADD_USER = `Usage: apop-server add-user NAME --users FILE [--scheme SCHEME] [--force]

Adds NAME to a users file (Dovecot passwd-file format, created with mode 0600
if missing). The password comes from APOP_PASSWORD, or is typed twice at the
terminal without echo; never from the command line.

${option("--users FILE", "the users file (else APOP_SERVER_USERS, else the config file's)")}
${option(
  "--scheme SCHEME",
  "PLAIN (the default: stored in clear, which APOP and CRAM-MD5 need), SSHA512, SHA512-CRYPT or SCRAM-SHA-256 (SCRAM keys, as doveadm pw -s SCRAM-SHA-256 writes)",
)}
${option("--force", "replace NAME if it is there (refused otherwise)")}

${EXIT_CODES}
`;

/** Commands with their own help. */
export type HelpTopic = "check-config" | "add-user";

/** `apop-server --help`, or a command's (`apop-server add-user --help`). */
export function helpText(options: { version: string; topic?: HelpTopic | undefined }): string {
  switch (options.topic) {
    case undefined:
      return general(options.version);
    case "check-config":
      return CHECK_CONFIG;
    case "add-user":
      return ADD_USER;
    default: {
      const unreachable: never = options.topic;
      return unreachable;
    }
  }
}
