import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runTool, type ToolResult } from "./run-tool.ts";
import type { Account } from "./users.ts";

/** One fetchmail setup: its own home, rc file, UID file and delivery folder. */
export interface FetchmailSetup {
  readonly home: string;
  /** Where the MDA writes each message, as `00000.eml`, `00001.eml`... in delivery order. */
  readonly out: string;
}

/**
 * Prepares fetchmail in `home`: a `fetchmailrc` (mode 0600, as fetchmail demands) that polls
 * `127.0.0.1:port` with `proto APOP` and `uidl`, keeps the mail on the server (`keep`), checks
 * the certificate against the test CA only (`sslcertck`, `sslcertfile`; `sslcommonname
 * localhost` because fetchmail matches host names only, never an IP address SAN), and hands
 * every message to an MDA script that writes it to a file.
 *
 * fetchmail's own changes to a message, all documented in fetchmail(1), are turned off
 * where it has a switch: `set invisible` (no Received header of its own), `no rewrite` (no
 * address rewriting). What stays is `stripcr`, on by default with an MDA: CR is removed at
 * every line end, so the files hold LF line ends.
 */
export async function prepareFetchmail(options: {
  home: string;
  port: number;
  account: Account;
  ca: string;
  implicitTls?: boolean;
  /** `APOP` (default), or `POP3`: fetchmail then probes CAPA, STLS, and picks a login. */
  proto?: "APOP" | "POP3";
}): Promise<FetchmailSetup> {
  const { home, account } = options;
  const out = join(home, "delivered");
  await mkdir(out, { recursive: true });
  const mda = join(home, "mda.sh");
  await writeFile(
    mda,
    `#!/bin/sh
# fetchmail's MDA: the message on stdin becomes the next numbered file.
set -e
out='${out}'
n=$(ls "$out" | wc -l)
cat > "$out/.incoming"
mv "$out/.incoming" "$out/$(printf %05d "$n").eml"
`,
  );
  await chmod(mda, 0o755);
  const rc = join(home, "fetchmailrc");
  await writeFile(
    rc,
    `set no bouncemail
set no spambounce
set invisible
poll 127.0.0.1 port ${options.port} proto ${options.proto ?? "APOP"} uidl
  user "${account.name}" there with password "${account.secret}"
  options keep no rewrite sslcertck sslcertfile "${options.ca}" sslcommonname "localhost" sslproto "TLS1.2+"${options.implicitTls === true ? " ssl" : ""}
  mda "${mda}"
`,
    { mode: 0o600 },
  );
  await chmod(rc, 0o600);
  return { home, out };
}

/**
 * Runs fetchmail once (`--nodetach`, no daemon) with everything in its home: rc file,
 * `--idfile`, `--pidfile`. Exit 0 means mail was delivered, 1 means there was none
 * (fetchmail(1), EXIT CODES).
 */
export async function runFetchmail(setup: FetchmailSetup): Promise<ToolResult> {
  const { home } = setup;
  return runTool({
    command: "fetchmail",
    args: [
      "--fetchmailrc",
      join(home, "fetchmailrc"),
      "--idfile",
      join(home, "fetchids"),
      "--pidfile",
      join(home, "fetchmail.pid"),
      "--nodetach",
      "--nosyslog",
      "--verbose",
    ],
    env: { PATH: process.env.PATH, HOME: home, FETCHMAILHOME: home, LC_ALL: "C" },
    timeoutMs: 180_000,
  });
}

/** The delivered files in delivery order. */
export async function readFetchmailDeliveries(setup: FetchmailSetup): Promise<Buffer[]> {
  const names = (await readdir(setup.out)).filter((name) => name.endsWith(".eml")).sort();
  return Promise.all(names.map((name) => readFile(join(setup.out, name))));
}
