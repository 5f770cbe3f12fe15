import type { CommandName } from "./parse-arguments.ts";

const CONNECTION = `Connection:
  --tls MODE          implicit | starttls | none. Default: implicit for
                      pop3s://, STLS required for pop3:// and pop://
                      (never silently in clear)
  --port N            default: the URL's, else 995 (implicit) or 110
  --ca FILE           also trust the CA certificates in FILE (PEM)
  --insecure          do not check the server's certificate (warns; avoid)
  --timeout SECONDS   longest wait for the server (default 60)
  --lang RANGES       the server's language, best first (de-CH,en); default:
                      the locale (RFC 6856 LANG, after UTF8)`;

const LOGIN = `Login:
  --user NAME         login name (default: from the URL, else from ~/.netrc)
  --auth METHOD       auto | scram-sha-256-plus | scram-sha-256 | apop |
                      user | plain | login | cram-md5 | oauthbearer |
                      xoauth2. Default: the URL's ;AUTH= (+APOP, *, or a
                      mechanism), else auto: the strongest the server
                      offers, never a password in clear without TLS
  --allow-plaintext   allow USER/PASS, PLAIN or LOGIN without TLS
  --oauth-token-command CMD
                      run CMD (sh -c) for the bearer token of oauthbearer
                      and xoauth2 (default: $APOP_OAUTH_TOKEN)
  --retry N           try again after [IN-USE] or [SYS/TEMP] (waits 2 s, then
                      twice as long each time, announced) and after
                      [LOGIN-DELAY] (waits what the server announced, up to
                      5 minutes); never after [AUTH] or [SYS/PERM]. Default 3
  --no-retry          the same as --retry 0
  --allow-insecure-downgrade
                      connect with --tls none to an account that has used
                      TLS before (refused otherwise, RFC 8314 section 5.2)`;

const OUTPUT = `Output:
  -q, --quiet         no progress bar, no summary (warnings, errors shown)
  --debug             show the stack of an error
  -h, --help          this help`;

const PASSWORD = `Password: from APOP_PASSWORD, else ~/.netrc (or the file $NETRC
  names: "machine HOST login USER password PASS"), else asked on the terminal
  without echo. Never from the command line.`;

const EXIT_CODES = `Exit codes:
  0 ok                    4 authentication failed ([AUTH], or a login -ERR)
  1 bug in apop           5 mailbox busy, try later ([IN-USE], [LOGIN-DELAY],
  2 bad arguments           [SYS/TEMP], or a local lock held)
  3 connection, TLS or    6 protocol error (server misbehaved, [SYS/PERM],
    certificate failure     no UIDL)
  130/143 stopped by      7 local write error (Maildir, mbox, state file)
    SIGINT/SIGTERM`;

const URLS = `URLs: pop://user[;AUTH=type]@host[:port] (RFC 2384), pop3://... (STLS),
  pop3s://... (implicit TLS). %-encode special characters of the user name.`;

const GENERAL = `apop: fetch mail from a POP3 server into a Maildir or an mbox.

Usage: apop <command> [options] <url>

Commands:
  fetch   download new mail into a Maildir (default) or an mbox
  list    message numbers, sizes and unique ids on the server
  check   how much new mail a fetch would download
  capa    what the server supports (no login)
  help [command]   help for one command

  -V, --version       print the version

${URLS}

${PASSWORD}

${EXIT_CODES}

Run "apop <command> --help" for a command's options.
`;

const FETCH = `Usage: apop fetch <url> [--maildir DIR | --mbox FILE] [--keep | --delete]
                  [options]

Downloads the messages not fetched before, each written and synced to disk
before anything else happens to it. A second run fetches only what is new.

Destination:
  --maildir DIR       deliver into this Maildir (default: $MAILDIR, else
                      ~/Maildir); new/ cur/ tmp/ are created if missing.
                      Files hold LF line ends
  --mbox FILE         append to this mbox (mboxrd, locked with FILE.lock)
  --keep              leave mail on the server (default)
  --delete            delete on the server what is safely written locally
  --max-message-size SIZE
                      the most one message may take (default 100M; K, M, G);
                      a larger one is left on the server, with a warning
  --state FILE        the state file (default: $XDG_STATE_HOME/apop/ or
                      ~/.local/state/apop/, one file per user@host_port)

${CONNECTION}

${LOGIN}

${OUTPUT}

Servers without UIDL, or whose UIDL repeats or misses unique-ids: --keep is
refused (exit 6); --delete fetches and deletes all. A message is cut off
(exit 6, nothing kept, nothing deleted) past twice its LIST size plus 1 MiB,
or past --max-message-size. Before the first RETR and before each message,
the free space where it is written must hold it (exit 7 otherwise).

${EXIT_CODES}
`;

const LIST = `Usage: apop list <url> [--json] [options]

Shows every message on the server: number, size in octets (as LIST reports
it) and UIDL.
  --json              one JSON document on stdout

${CONNECTION}

${LOGIN}

${OUTPUT}

${EXIT_CODES}
`;

const CHECK = `Usage: apop check <url> [--json] [--state FILE] [options]

Counts the messages (and octets) a fetch would download: those not in the
state file.
  --json              one JSON document on stdout
  --state FILE        the state file a fetch uses

${CONNECTION}

${LOGIN}

${OUTPUT}

${EXIT_CODES}
`;

const CAPA = `Usage: apop capa <url> [--json] [options]

Shows what the server supports (CAPA, after TLS is set up), with what each
capability means, and whether it offers APOP. Needs no password.
  --json              one JSON document on stdout

${CONNECTION}

${OUTPUT}

${EXIT_CODES}
`;

/** The text of `apop --help`, or of `apop <command> --help`. */
export function helpText(topic: CommandName | undefined): string {
  switch (topic) {
    case undefined:
      return GENERAL;
    case "fetch":
      return FETCH;
    case "list":
      return LIST;
    case "check":
      return CHECK;
    case "capa":
      return CAPA;
    default: {
      const unreachable: never = topic;
      return unreachable;
    }
  }
}
