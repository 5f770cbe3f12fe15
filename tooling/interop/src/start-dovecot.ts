import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { chown, mkdir, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnTracked, stopChild } from "./children.ts";
import type { CorpusMessage } from "./corpus.ts";
import { freePort } from "./free-port.ts";
import type { Certificates } from "./global-setup.ts";
import { type DeliveredMessage, writeMaildir } from "./write-maildir.ts";

/** A running Dovecot of our own. */
export interface Dovecot {
  readonly port: number;
  readonly tlsPort: number;
  /** The Maildir of a user (for checks on what is left after DELE). */
  maildir(user: string): string;
  /** Who owns the Maildirs: the uid/gid Dovecot reads them as. */
  readonly mailOwner: { readonly uid: number; readonly gid: number };
  /** The messages written for each user, in order. */
  readonly delivered: ReadonlyMap<string, readonly DeliveredMessage[]>;
  /** Dovecot's log so far. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Who Dovecot's processes run as: its own users as root, else whoever runs the tests. */
interface Accounts {
  /** `default_internal_user`: the auth process, which reads the passwd-file, runs as it. */
  readonly internal: { name: string; uid: number; gid: number };
  /** `default_login_user`: pop3-login. */
  readonly login: string;
  /** The userdb's uid/gid: the pop3 process that reads the Maildirs. */
  readonly mail: { uid: number; gid: number };
}

function accounts(): Accounts {
  const ids = (flag: string, name: string): number =>
    Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
  if ((process.getuid?.() ?? 0) === 0) {
    // Dovecot's own users (Debian creates them), and `nobody` for mail: Dovecot refuses to
    // run mail processes as root.
    return {
      internal: { name: "dovecot", uid: ids("-u", "dovecot"), gid: ids("-g", "dovecot") },
      login: "dovenull",
      mail: { uid: ids("-u", "nobody"), gid: ids("-g", "nobody") },
    };
  }
  const name = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
  const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
  return { internal: { name, ...self }, login: name, mail: self };
}

/**
 * The whole configuration: nothing is read from /etc/dovecot. Paths (base_dir, state_dir,
 * logs, passwd-file, Maildirs, certificate) are all inside `root`.
 *
 * - `auth_mechanisms = plain login apop cram-md5 scram-sha-256`; the passwd-file holds
 *   `{PLAIN}` secrets, which APOP and CRAM-MD5 need, or for an account that says so
 *   `{SCRAM-SHA-256}` keys from `doveadm pw` (Dovecot 2.3.19 has no -PLUS).
 * - `disable_plaintext_auth` stays at its default (yes): our client only sends USER/PASS,
 *   PLAIN and LOGIN inside TLS. (Dovecot would allow them in clear on loopback anyway: it
 *   treats a connection whose remote address is its local address as secure.)
 * - Dovecot 2.3.19 needs no `ssl_dh`: it starts and serves TLS without one (ECDHE suites).
 */
function dovecotConf(options: {
  root: string;
  port: number;
  tlsPort: number;
  certificates: Certificates;
  who: Accounts;
  settings: string;
}): string {
  const { root, who } = options;
  return `# Written by tooling/interop for one test run; never the machine's configuration.
base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${root}/dovecot.log
info_log_path = ${root}/dovecot.log
debug_log_path = ${root}/dovecot.log
instance_name = apop-interop
protocols = pop3
listen = 127.0.0.1
shutdown_clients = yes
default_internal_user = ${who.internal.name}
default_login_user = ${who.login}
ssl = yes
ssl_cert = <${options.certificates.cert}
ssl_key = <${options.certificates.key}
auth_mechanisms = plain login apop cram-md5 scram-sha-256
auth_verbose = yes
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = ${root}/passwd
}
userdb {
  driver = static
  args = uid=${who.mail.uid} gid=${who.mail.gid} home=${root}/mail/%u
}
mail_location = maildir:~/Maildir
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${options.port}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${options.tlsPort}
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
${options.settings}`;
}

/** The passwd-file's password field for a user, as `doveadm pw` would write it. */
function storedSecret(user: { name: string; secret: string; scheme?: string }): string {
  if (user.scheme !== "SCRAM-SHA-256") return `{PLAIN}${user.secret}`;
  return execFileSync("doveadm", ["pw", "-s", "SCRAM-SHA-256", "-p", user.secret], {
    encoding: "utf8",
  }).trim();
}

/** Resolves once a POP3 greeting arrives on the port, or rejects. */
function greeted(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.setTimeout(2_000);
    socket.once("data", (data) => {
      socket.end("QUIT\r\n");
      if (data.toString("latin1").startsWith("+OK")) resolve();
      else reject(new Error(`unexpected greeting ${JSON.stringify(data.toString("latin1"))}`));
    });
    socket.once("timeout", () => {
      socket.destroy();
      reject(new Error("no greeting"));
    });
    socket.once("error", reject);
  });
}

/**
 * Starts `dovecot -F -c <root>/dovecot.conf` with POP3 on two free loopback ports (plain with
 * STLS, and implicit TLS), one Maildir per user holding `mail[user]`. Waits until the plain
 * port greets. If a port was taken in the meantime, tries again with new ones.
 */
export async function startDovecot(options: {
  dir: string;
  certificates: Certificates;
  users: readonly { name: string; secret: string; scheme?: "PLAIN" | "SCRAM-SHA-256" }[];
  mail: Readonly<Record<string, readonly CorpusMessage[]>>;
  /** More settings, appended to the configuration (e.g. `pop3_lock_session = yes\n`). */
  settings?: string;
}): Promise<Dovecot> {
  const root = join(options.dir, "dovecot");
  const who = accounts();
  await mkdir(root, { recursive: true, mode: 0o755 });
  const passwd = join(root, "passwd");
  await writeFile(
    passwd,
    options.users.map((user) => `${user.name}:${storedSecret(user)}::::::\n`).join(""),
    {
      mode: 0o600,
    },
  );
  await chown(passwd, who.internal.uid, who.internal.gid);
  const maildir = (user: string): string => join(root, "mail", user, "Maildir");
  const delivered = new Map<string, readonly DeliveredMessage[]>();
  await mkdir(join(root, "mail"), { mode: 0o755 });
  for (const [user, messages] of Object.entries(options.mail)) {
    const home = join(root, "mail", user);
    await mkdir(home, { recursive: true, mode: 0o700 });
    const owner = { uid: who.mail.uid, gid: who.mail.gid };
    delivered.set(user, await writeMaildir({ dir: maildir(user), messages, owner }));
    await chown(home, owner.uid, owner.gid);
  }
  const log = (): Promise<string> => readFile(join(root, "dovecot.log"), "utf8").catch(() => "");
  let lastProblem = "";
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const tlsPort = await freePort();
    const conf = join(root, "dovecot.conf");
    await writeFile(
      conf,
      dovecotConf({
        root,
        port,
        tlsPort,
        certificates: options.certificates,
        who,
        settings: options.settings ?? "",
      }),
    );
    const child: ChildProcess = spawnTracked("dovecot", ["-F", "-c", conf], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => output.push(chunk));
    let exited = false;
    child.once("exit", () => {
      exited = true;
    });
    for (let wait = 0; wait < 100 && !exited; wait += 1) {
      try {
        // Both listeners open together: a greeting on the plain one means both are up.
        await greeted(port);
        return {
          port,
          tlsPort,
          maildir,
          mailOwner: who.mail,
          delivered,
          log,
          stop: () => stopChild(child, { graceMs: 10_000 }),
        };
      } catch {
        await sleep(100);
      }
    }
    await stopChild(child);
    lastProblem = `${Buffer.concat(output).toString("utf8")}\n${await log()}`;
    if (!/Address already in use/.test(lastProblem)) break;
  }
  throw new Error(`dovecot did not start:\n${lastProblem}`);
}
