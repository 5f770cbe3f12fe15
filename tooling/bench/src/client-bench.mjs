// npm run bench:client — `apop fetch` against curl, Python poplib, fetchmail and getmail6,
// each fetching the same 224-message mailbox from a private Dovecot into files; wall time of
// the whole process, median of 5 interleaved runs. Needs a built repo and `npm run setup`.
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clientMailbox } from "./client-mail.mjs";
import { makeCertificate } from "./processes.mjs";
import { startDovecot } from "./servers.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const repo = new URL("../../..", import.meta.url).pathname;
const here = new URL(".", import.meta.url).pathname;
const USER = { name: "bench", secret: "bench-secret" };
const log = (text) => process.stderr.write(`bench: ${text}\n`);

// The mail and the fetched files live on disk (not tmpfs): syncing to disk is part of what
// a client costs. BENCH_DIR chooses the place.
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), "apop-client-bench-"));
chmodSync(dir, 0o755);

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const begin = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    const output = [];
    child.stdout.on("data", (c) => output.push(c));
    child.stderr.on("data", (c) => output.push(c));
    child.once("error", reject);
    child.once("exit", (code) => {
      const seconds = (performance.now() - begin) / 1000;
      if (code !== 0)
        reject(
          new Error(`${command} exited ${code}: ${Buffer.concat(output).toString().slice(-2000)}`),
        );
      else resolve(seconds);
    });
  });
}

/**
 * The environment every client runs with: this one, less NODE_EXTRA_CA_CERTS. Node 20 reads
 * the file it names and builds its whole root certificate store before running any
 * JavaScript, whether or not the program ever makes a TLS connection (nodejs/node#40524);
 * with the system bundle named there (about 150 certificates) `node -e 0` took 100-140 ms of
 * CPU instead of 30-50 ms on the benchmark machine (docs/performance.md). curl and Python
 * read their CA settings only for a TLS connection, and the benchmark makes none, so the
 * variable would weigh on apop alone: it is a setting of the machine, not a cost of apop.
 */
const { NODE_EXTRA_CA_CERTS: _extraCa, ...clientEnv } = process.env;

const countFiles = (folder) => (existsSync(folder) ? readdirSync(folder).length : 0);

function expectFiles(name, count, want = 224) {
  if (count !== want) throw new Error(`${name} wrote ${count} messages, expected ${want}`);
}

/** Each client: prepare a fresh output folder, run, check that everything arrived. */
function clients(port) {
  return {
    apop: async (out) => {
      const seconds = await run(
        process.execPath,
        [
          join(repo, "apps/client/dist/main.js"),
          "fetch",
          `pop://${USER.name}@127.0.0.1:${port}`,
          "--tls",
          "none",
          "--auth",
          "apop",
          "--maildir",
          join(out, "Maildir"),
          "--state",
          join(out, "state"),
          "--quiet",
        ],
        { env: { ...clientEnv, APOP_PASSWORD: USER.secret, XDG_STATE_HOME: join(out, "xdg") } },
      );
      expectFiles(
        "apop",
        countFiles(join(out, "Maildir/new")) + countFiles(join(out, "Maildir/cur")),
      );
      return seconds;
    },
    curl: async (out) => {
      const args = ["--silent", "--show-error", "--user", `${USER.name}:${USER.secret}`];
      for (let n = 1; n <= 224; n++)
        args.push(`pop3://127.0.0.1:${port}/${n}`, "-o", join(out, `${n}.eml`));
      const seconds = await run("curl", args, { env: clientEnv });
      expectFiles("curl", countFiles(out));
      return seconds;
    },
    poplib: async (out) => {
      const seconds = await run(
        "python3",
        [join(here, "poplib-fetch.py"), "127.0.0.1", String(port), USER.name, USER.secret, out],
        { env: clientEnv },
      );
      expectFiles("poplib", countFiles(out));
      return seconds;
    },
    fetchmail: async (out) => {
      const rc = join(out, "fetchmailrc");
      writeFileSync(
        rc,
        `set no syslog\nset no bouncemail\npoll 127.0.0.1 port ${port} proto APOP uidl\n  user "${USER.name}" password "${USER.secret}" is "${USER.name}" here\n  keep fetchall no rewrite\n  sslproto "" \n`,
        { mode: 0o600 },
      );
      // BSMTP output: fetchmail writes every message into one file itself (no MDA process
      // per message), its fastest way to put mail in a file.
      const bsmtp = join(out, "mail.bsmtp");
      const seconds = await run(
        "fetchmail",
        [
          "--fetchmailrc",
          rc,
          "--idfile",
          join(out, "ids"),
          "--pidfile",
          join(out, "pid"),
          "--nodetach",
          "--bsmtp",
          bsmtp,
        ],
        {
          env: { ...clientEnv, HOME: out, FETCHMAILHOME: out },
        },
      );
      if (!existsSync(bsmtp) || statSync(bsmtp).size < 12_000_000)
        throw new Error("fetchmail wrote too little");
      return seconds;
    },
    getmail: async (out) => {
      const maildir = join(out, "Maildir");
      for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(maildir, sub), { recursive: true });
      const asRoot = process.getuid() === 0;
      writeFileSync(
        join(out, "getmailrc"),
        `[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = ${port}\nusername = ${USER.name}\npassword = ${USER.secret}\nuse_apop = True\ntimeout = 5\n\n[destination]\ntype = Maildir\npath = ${maildir}/\n\n[options]\nread_all = true\ndelete = false\nverbose = 0\ndelivered_to = false\nreceived = false\n`,
      );
      if (asRoot)
        for (const p of [
          out,
          join(out, "getmailrc"),
          maildir,
          ...["cur", "new", "tmp"].map((s) => join(maildir, s)),
        ])
          chownSync(p, ids.uid, ids.gid);
      // getmail refuses to deliver as root; run it as nobody, who owns the folder.
      const command = asRoot ? ["runuser", "-u", "nobody", "--", "getmail"] : ["getmail"];
      // getmail6 waits for each delivery child on a condition variable it can miss when the
      // child exits first ("waiting child pid N timed out"); the interop suite documents it.
      // Such a run is started again from an empty Maildir, at most twice, and only the run
      // that completes is timed.
      for (let attempt = 1; ; attempt++) {
        try {
          const seconds = await run(
            command[0],
            [...command.slice(1), "--getmaildir", out, "--rcfile", "getmailrc"],
            { env: { ...clientEnv, HOME: out, LC_ALL: "C.UTF-8" } },
          );
          expectFiles("getmail", countFiles(join(maildir, "new")));
          return seconds;
        } catch (error) {
          if (attempt === 3 || !/waiting child pid \d+ timed out/.test(error.message)) throw error;
          lostChildren++;
          for (const sub of ["cur", "new", "tmp"])
            for (const name of readdirSync(join(maildir, sub))) rmSync(join(maildir, sub, name));
        }
      }
    },
  };
}

let ids;
let lostChildren = 0;

async function main() {
  ids = {
    uid: Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" })),
    gid: Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" })),
  };
  const certificate = makeCertificate(dir);
  const mailRoot = join(dir, "mail");
  const cur = join(mailRoot, USER.name, "cur");
  for (const sub of ["cur", "new", "tmp"])
    mkdirSync(join(mailRoot, USER.name, sub), { recursive: true });
  for (const [i, message] of clientMailbox().entries()) {
    writeFileSync(join(cur, `${1700000000 + i}.M${i}P1.client:2,`), message);
  }
  const dovecot = await startDovecot({ dir, mailRoot, users: [USER], certificate });
  const times = {};
  try {
    const runners = clients(dovecot.port);
    // One untimed fetch each first: Dovecot builds its index, every program is in the page cache.
    for (const [name, fetch] of Object.entries(runners)) {
      const out = join(dir, `warm-${name}`);
      mkdirSync(out);
      await fetch(out);
      times[name] = [];
    }
    for (let round = 0; round < RUNS; round++) {
      for (const [name, fetch] of Object.entries(runners)) {
        const out = join(dir, `${name}-${round}`);
        mkdirSync(out);
        times[name].push(await fetch(out));
        rmSync(out, { recursive: true, force: true });
      }
      log(
        `round ${round + 1}: ${Object.entries(times)
          .map(([n, t]) => `${n} ${t.at(-1).toFixed(3)} s`)
          .join(", ")}`,
      );
    }
  } finally {
    await dovecot.stop();
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const apop = median(times.apop);
  const lines = [
    `| client | wall time, median of ${RUNS} (s) | time / apop's |`,
    "| --- | --- | --- |",
  ];
  for (const [name, values] of Object.entries(times)) {
    const m = median(values);
    lines.push(
      `| ${name === "apop" ? "apop fetch" : name} | ${m.toFixed(3)} | ${(m / apop).toFixed(2)}× |`,
    );
  }
  console.log(lines.join("\n"));
  const file = join(repo, "bench-results.json");
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(file, "utf8"));
  } catch {}
  if (lostChildren > 0)
    console.log(`(getmail lost a delivery child ${lostChildren} times; those runs were repeated)`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...previous, client: { runs: RUNS, seconds: times, getmailLostChildren: lostChildren } }, null, 2)}\n`,
  );
}

try {
  await main();
} finally {
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
