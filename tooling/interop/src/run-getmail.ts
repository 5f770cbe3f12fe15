import { execFileSync } from "node:child_process";
import { chown, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEBIAN_PYTHON } from "./peers.ts";
import { runTool, runToolOk, type ToolResult } from "./run-tool.ts";
import type { Account } from "./users.ts";
import { writeMaildir } from "./write-maildir.ts";

const ORACLE = fileURLToPath(new URL("./getmail-oracle.py", import.meta.url));

/** One getmail setup: its getmaildir (rc file, oldmail state) and the Maildir it fills. */
export interface GetmailSetup {
  readonly home: string;
  readonly maildir: string;
}

/**
 * Prepares getmail6 in `home`: a `getmailrc` with `SimplePOP3Retriever` and `use_apop = True`
 * (or `SimplePOP3SSLRetriever` with the test CA as `ca_certs` for implicit TLS), a `Maildir`
 * destination, `read_all = false` (only new messages, by UIDL) and `delete = false`, and no
 * headers of getmail's own (`delivered_to = false`, `received = false`). `timeout = 10`
 * (default 180) bounds getmail's wait for a lost delivery child (see `runGetmail`).
 *
 * getmail refuses to deliver into a Maildir as root; when the tests run as root, delivery
 * runs as `nobody` (`user = nobody`), which owns the Maildir.
 */
export async function prepareGetmail(options: {
  home: string;
  port: number;
  account: Account;
  ca: string;
  implicitTls?: boolean;
}): Promise<GetmailSetup> {
  const { home, account } = options;
  await mkdir(home, { recursive: true });
  const maildir = join(home, "Maildir");
  const root = (process.getuid?.() ?? 0) === 0;
  await writeMaildir({ dir: maildir, messages: [] });
  if (root) {
    const nobody = {
      uid: Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" })),
      gid: Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" })),
    };
    for (const path of [maildir, ...["cur", "new", "tmp"].map((sub) => join(maildir, sub))]) {
      await chown(path, nobody.uid, nobody.gid);
    }
  }
  const tls = options.implicitTls === true;
  await writeFile(
    join(home, "getmailrc"),
    `[retriever]
type = ${tls ? "SimplePOP3SSLRetriever" : "SimplePOP3Retriever"}
server = 127.0.0.1
port = ${options.port}
username = ${account.name}
password = ${account.secret}
use_apop = True
timeout = 10
${tls ? `ca_certs = ${options.ca}\n` : ""}
[destination]
type = Maildir
path = ${maildir}/
${root ? "user = nobody\n" : ""}
[options]
verbose = 1
read_all = false
delete = false
delivered_to = false
received = false
`,
    { mode: 0o600 },
  );
  return { home, maildir };
}

/** How getmail reports the lost-SIGCHLD race of its delivery children. */
const LOST_CHILD = /waiting child pid \d+ timed out/;

/** The last run of one `runGetmail`, and how many earlier runs hit getmail's delivery race. */
export interface GetmailRuns {
  readonly last: ToolResult;
  readonly lostChildren: number;
}

/**
 * Runs getmail with `--getmaildir` = the setup's home.
 *
 * With `fresh` (a first fetch into an empty Maildir), a run that failed with getmail's own
 * race is thrown away and started over: getmail forks each Maildir delivery and only then
 * installs its SIGCHLD handler (getmailcore/baseclasses.py, `ForkingBase.forkchild` calls
 * `_prepare_child` after `os.fork`), so a child that exits first is never reaped, and getmail
 * gives up on it after `timeout` seconds ("waiting child pid N timed out"), aborting the
 * session without saving its oldmail file. The Maildir and the oldmail file are emptied and
 * getmail runs again, at most three times. Any other failure is returned as is.
 */
export async function runGetmail(
  setup: GetmailSetup,
  options: { fresh?: boolean } = {},
): Promise<GetmailRuns> {
  let lostChildren = 0;
  for (;;) {
    const last = await runTool({
      command: "getmail",
      args: ["--getmaildir", setup.home, "--rcfile", "getmailrc"],
      env: { PATH: process.env.PATH, HOME: setup.home, LC_ALL: "C.UTF-8" },
      timeoutMs: 600_000,
    });
    const output = `${last.stdout.toString("utf8")}${last.stderr.toString("utf8")}`;
    if (options.fresh !== true || !LOST_CHILD.test(output) || lostChildren === 3)
      return { last, lostChildren };
    lostChildren += 1;
    for (const sub of ["new", "cur", "tmp"]) {
      for (const name of await readdir(join(setup.maildir, sub)))
        await rm(join(setup.maildir, sub, name));
    }
    for (const name of await readdir(setup.home)) {
      if (name.startsWith("oldmail-")) await rm(join(setup.home, name));
    }
  }
}

/**
 * What getmail writes for each message whose RFC 1939 wire form is given: computed by
 * getmail's own Message class (`getmail-oracle.py`), in one Python run.
 */
export async function getmailForm(options: {
  dir: string;
  wires: readonly Buffer[];
}): Promise<Buffer[]> {
  await mkdir(options.dir, { recursive: true });
  const args: string[] = [ORACLE];
  const outs: string[] = [];
  for (const [index, wire] of options.wires.entries()) {
    const input = join(options.dir, `${index}.wire`);
    const output = join(options.dir, `${index}.getmail`);
    await writeFile(input, wire);
    args.push(input, output);
    outs.push(output);
  }
  await runToolOk({ command: DEBIAN_PYTHON, args, timeoutMs: 120_000 });
  return Promise.all(outs.map((out) => readFile(out)));
}
