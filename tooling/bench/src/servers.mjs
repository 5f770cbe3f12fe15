// The two servers under test, on the same mail (each its own copy) and the same users.
import { execFileSync } from "node:child_process";
import { chownSync, cpSync, mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { freePort, startChild, stopChild, waitForGreeting } from "./processes.mjs";

const repo = new URL("../../..", import.meta.url).pathname;

/**
 * apop-server as it ships: one process, `node apps/server/dist/main.js`, with limits raised
 * so the benchmark's 10,000 sessions from one address are admitted. `nodeArgs` (default
 * none) is for diagnostics only (`live-heap.mjs`), never for a figure of the shipped server.
 */
export async function startApop({ dir, mailRoot, users, certificate, nodeArgs = [] }) {
  const port = await freePort();
  const tlsPort = await freePort();
  const usersFile = join(dir, "apop-users");
  writeFileSync(usersFile, users.map((u) => `${u.name}:{PLAIN}${u.secret}\n`).join(""));
  const config = {
    listen: `127.0.0.1:${port}`,
    tlsListen: `127.0.0.1:${tlsPort}`,
    tls: { cert: certificate.cert, key: certificate.key },
    users: usersFile,
    maildirRoot: mailRoot,
    hostname: "localhost",
    logLevel: "error",
    limits: {
      maxConnections: 20_000,
      maxConnectionsPerAddress: 20_000,
      // The connect storm keeps 256 logins in flight from one address.
      maxPreLoginConnections: 20_000,
      authorizationTimeoutSeconds: 600,
    },
  };
  const configFile = join(dir, `apop-server-${port}.json`);
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = startChild(process.execPath, [
    ...nodeArgs,
    join(repo, "apps/server/dist/main.js"),
    "--config",
    configFile,
  ]);
  try {
    await waitForGreeting(port);
  } catch (error) {
    await stopChild(child);
    throw new Error(`apop-server did not start: ${error.message}\n${child.output()}`);
  }
  return { name: "apop", port, tlsPort, pid: child.pid, stop: () => stopChild(child) };
}

/**
 * Dovecot in its fast configuration (tooling/bench/README.md): long-lived login processes
 * (`service_count = 0`, `process_min_avail` = the core count), pre-forked pop3 processes,
 * `pop3_lock_session = yes`, APOP with `{PLAIN}` secrets, mail read as `nobody`. Nothing is
 * read from /etc/dovecot.
 */
export async function startDovecot({ dir, mailRoot, users, certificate }) {
  const root = join(dir, "dovecot");
  mkdirSync(root, { recursive: true });
  const asRoot = process.getuid() === 0;
  const id = (flag, name) => Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
  const internal = asRoot ? "dovecot" : execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
  const login = asRoot ? "dovenull" : internal;
  const mail = asRoot
    ? { uid: id("-u", "nobody"), gid: id("-g", "nobody") }
    : { uid: process.getuid(), gid: process.getgid() };
  if (asRoot) execFileSync("chown", ["-R", `${mail.uid}:${mail.gid}`, mailRoot]);
  const passwd = join(root, "passwd");
  writeFileSync(passwd, users.map((u) => `${u.name}:{PLAIN}${u.secret}::::::\n`).join(""), {
    mode: 0o600,
  });
  if (asRoot) chownSync(passwd, id("-u", internal), id("-g", internal));
  const cores = availableParallelism();
  const port = await freePort();
  const tlsPort = await freePort();
  const conf = join(root, "dovecot.conf");
  writeFileSync(
    conf,
    `# tooling/bench: Dovecot's fast configuration, on loopback, nothing from /etc/dovecot.
base_dir = ${root}/run
state_dir = ${root}/state
log_path = ${root}/dovecot.log
info_log_path = /dev/null
instance_name = apop-bench
protocols = pop3
listen = 127.0.0.1
shutdown_clients = yes
default_internal_user = ${internal}
default_login_user = ${login}
default_client_limit = 20000
default_process_limit = 1100
default_vsz_limit = 0
ssl = yes
ssl_cert = <${certificate.cert}
ssl_key = <${certificate.key}
auth_mechanisms = plain apop cram-md5
auth_failure_delay = 0
pop3_lock_session = yes
passdb {
  driver = passwd-file
  args = ${passwd}
}
userdb {
  driver = static
  args = uid=${mail.uid} gid=${mail.gid} home=${mailRoot}/%u
}
mail_location = maildir:${mailRoot}/%u
service pop3-login {
  chroot =
  service_count = 0
  process_min_avail = ${cores}
  client_limit = 20000
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = ${tlsPort}
    ssl = yes
  }
}
service pop3 {
  process_min_avail = 64
  process_limit = 1100
}
service auth {
  client_limit = 20000
}
service anvil {
  chroot =
  client_limit = 20000
}
service stats {
  chroot =
  client_limit = 20000
}
`,
  );
  const child = startChild("dovecot", ["-F", "-c", conf]);
  try {
    await waitForGreeting(port);
  } catch (error) {
    await stopChild(child);
    throw new Error(`dovecot did not start: ${error.message}\n${child.output()}`);
  }
  return { name: "dovecot", port, tlsPort, pid: child.pid, stop: () => stopChild(child) };
}

/** The canned-reply server (floor-server.mjs) as its own process. */
export async function startFloor({ wireFile }) {
  const port = await freePort();
  const child = startChild(process.execPath, [
    new URL("./floor-server.mjs", import.meta.url).pathname,
    String(port),
    wireFile,
  ]);
  await waitForGreeting(port);
  return { name: "floor", port, pid: child.pid, stop: () => stopChild(child) };
}

export function copyMail(from, to) {
  cpSync(from, to, { recursive: true });
}
