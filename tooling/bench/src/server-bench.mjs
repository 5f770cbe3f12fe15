// npm run bench:server — apop-server and Dovecot on the same mail, driven by one generator,
// interleaved, with the canned-reply floor in the same table. Prints the table and writes
// bench-results.json at the repository root. Needs a built repo (`npm run build`) and
// Dovecot from `npm run setup`. See tooling/bench/README.md for what each row means.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { liveHeapPerSession } from "./live-heap.mjs";
import {
  connectStorm,
  holdSessions,
  largeRetr,
  listingSessions,
  release,
  sessionsPerSecond,
} from "./load.mjs";
import { makeCertificate, settledMemoryAndFds } from "./processes.mjs";
import {
  allUsers,
  bigMessage,
  MANY_MESSAGES,
  SESSION_USERS,
  smallMessage,
  wireBlock,
  writeServerMail,
} from "./server-mail.mjs";
import { copyMail, startApop, startDovecot, startFloor } from "./servers.mjs";
import { printTable } from "./table.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WORKERS = 16;
const IDLE_APOP = 10_000;
const IDLE_DOVECOT = 1_000;
/** Sessions held for the live-heap row (a heap snapshot of 10,000 would be some 200 MB). */
const IDLE_HEAP = 1_000;
const STORM = 10_000;

const repo = new URL("../../..", import.meta.url).pathname;
// Mail lives on tmpfs where there is one, for both servers alike: the figures are about the
// servers, not about how busy the disk is (BENCH_DIR chooses another place).
const base = process.env.BENCH_DIR ?? (existsSync("/dev/shm") ? "/dev/shm" : tmpdir());
const dir = mkdtempSync(join(base, "apop-bench-"));
// Dovecot's auth process (its own user) reads the passwd-file below this folder.
chmodSync(dir, 0o755);
const log = (text) => process.stderr.write(`bench: ${text}\n`);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  log(`mail and certificate in ${dir}`);
  const certificate = makeCertificate(dir);
  writeServerMail(join(dir, "mail-apop"));
  copyMail(join(dir, "mail-apop"), join(dir, "mail-dovecot"));
  const users = allUsers();
  const byName = new Map(users.map((u) => [u.name, u]));
  const sessionUsers = users.slice(0, SESSION_USERS);
  const expectedCache = new Map();
  const expected = (user) => {
    let wire = expectedCache.get(user.name);
    if (wire === undefined) {
      wire = wireBlock(smallMessage(user.name, 1));
      expectedCache.set(user.name, wire);
    }
    return wire;
  };
  const floorWire = join(dir, "floor.wire");
  writeFileSync(floorWire, wireBlock(smallMessage("u00000", 1)));
  const bigWireFile = join(dir, "big.wire");
  const bigWire = wireBlock(bigMessage());
  writeFileSync(bigWireFile, bigWire);

  const apop = await startApop({ dir, mailRoot: join(dir, "mail-apop"), users, certificate });
  const dovecot = await startDovecot({
    dir,
    mailRoot: join(dir, "mail-dovecot"),
    users,
    certificate,
  });
  const floor = await startFloor({ wireFile: floorWire });
  const bigFloor = await startFloor({ wireFile: bigWireFile });
  const results = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
    rows: [],
  };
  const row = (figure, unit, values, better = "higher") => {
    results.rows.push({ figure, unit, better, ...values });
    log(`${figure}: ${JSON.stringify(values)}`);
  };
  try {
    log("warm-up: one session per user on each server");
    for (const server of [apop, dovecot]) {
      await sessionsPerSecond({
        port: server.port,
        users: sessionUsers,
        workers: WORKERS,
        durationMs: 4000,
        expected,
      });
    }

    // Sessions per second, plain TCP and implicit TLS, interleaved rounds; median of rounds.
    for (const secure of [false, true]) {
      const runs = { apop: [], dovecot: [], floor: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const server of secure ? [apop, dovecot] : [apop, dovecot, floor]) {
          const result = await sessionsPerSecond({
            port: secure ? server.tlsPort : server.port,
            secure,
            ca: certificate.ca,
            users: sessionUsers,
            workers: WORKERS,
            durationMs: SECONDS * 1000,
            expected: server === floor ? () => wireBlock(smallMessage("u00000", 1)) : expected,
          });
          runs[server.name].push(result);
        }
      }
      const pick = (name, key) =>
        runs[name].length ? median(runs[name].map((r) => r[key])) : null;
      const label = secure ? "implicit TLS" : "plain TCP";
      row(
        `sessions/s, ${label} (${WORKERS} workers: APOP, STAT, RETR ~600 B, QUIT)`,
        "sessions/s",
        {
          apop: pick("apop", "sessionsPerSecond"),
          dovecot: pick("dovecot", "sessionsPerSecond"),
          floor: pick("floor", "sessionsPerSecond"),
          generatorCpu: pick("apop", "generatorCpu"),
        },
      );
      row(
        `p50 latency, ${label}`,
        "ms",
        {
          apop: pick("apop", "p50Ms"),
          dovecot: pick("dovecot", "p50Ms"),
          floor: pick("floor", "p50Ms"),
        },
        "lower",
      );
      row(
        `p99 latency, ${label}`,
        "ms",
        {
          apop: pick("apop", "p99Ms"),
          dovecot: pick("dovecot", "p99Ms"),
          floor: pick("floor", "p99Ms"),
        },
        "lower",
      );
    }

    // One large RETR, 5 times in one session, interleaved by round.
    const big = byName.get("big");
    const retr = { apop: [], dovecot: [], floor: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of [apop, dovecot, bigFloor]) {
        const name = server === bigFloor ? "floor" : server.name;
        retr[name].push(
          await largeRetr({
            port: server.port,
            user: big,
            expectedOctets: bigWire.length,
            rounds: 5,
          }),
        );
      }
    }
    row("RETR of a 10 MiB message, one session", "MB/s", {
      apop: median(retr.apop.map((r) => r.bestMBps)),
      dovecot: median(retr.dovecot.map((r) => r.bestMBps)),
      floor: median(retr.floor.map((r) => r.bestMBps)),
      generatorCpu: median(retr.apop.map((r) => r.generatorCpu)),
    });

    // LIST + UIDL of 10,000 messages.
    const many = byName.get("many");
    const listing = { apop: [], dovecot: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const server of [apop, dovecot]) {
        listing[server.name].push(
          await listingSessions({
            port: server.port,
            user: many,
            messages: MANY_MESSAGES,
            durationMs: 3000,
          }),
        );
      }
    }
    row(`login + LIST + UIDL + QUIT, ${MANY_MESSAGES} messages`, "sessions/s", {
      apop: median(listing.apop.map((r) => r.sessionsPerSecond)),
      dovecot: median(listing.dovecot.map((r) => r.sessionsPerSecond)),
    });

    // Idle authenticated sessions: memory and descriptors per session held. Both samples are
    // taken once the server has settled (`settledMemoryAndFds`): a sample right after the
    // rounds above or the logins measures when V8 last collected, not what sessions hold.
    // apop's figure comes from a fresh apop-server (same build and configuration, as it
    // ships): the one above still holds what the rounds before left, and a "before" sample
    // of it minus a "during" one measured how much of that V8 returned meanwhile (once a
    // negative figure). Dovecot's sessions each get a fresh process anyway.
    const idleApop = await startApop({ dir, mailRoot: join(dir, "mail-apop"), users, certificate });
    const idle = {};
    for (const [server, count] of [
      [idleApop, IDLE_APOP],
      [dovecot, IDLE_DOVECOT],
    ]) {
      const before = await settledMemoryAndFds(server.pid);
      const { held, failures } = await holdSessions({
        port: server.port,
        users: users.slice(0, count),
        concurrency: 64,
      });
      const during = await settledMemoryAndFds(server.pid);
      const perSession = (value) => value / Math.max(1, held.length);
      idle[server.name] = {
        held: held.length,
        asked: count,
        failures,
        kibPerSession: perSession(during.pssKiB - before.pssKiB),
        fdsPerSession: perSession(during.fds - before.fds),
        processes: during.processes,
        settled: before.settled && during.settled,
        settleSeconds: [before.seconds, during.seconds],
      };
      log(
        `idle ${server.name}: ${held.length} held, PSS ${before.pssKiB} -> ${during.pssKiB} KiB, settled after ${before.seconds} s and ${during.seconds} s${idle[server.name].settled ? "" : " (NOT settled: bound reached)"}`,
      );
      await release(held);
    }
    await idleApop.stop();
    row(
      "idle authenticated sessions: memory per session (PSS)",
      "KiB",
      {
        apop: idle.apop.kibPerSession,
        dovecot: idle.dovecot.kibPerSession,
        note: `apop ${idle.apop.held}/${idle.apop.asked} held, Dovecot ${idle.dovecot.held}/${idle.dovecot.asked} held (one process each); settled PSS${idle.apop.settled && idle.dovecot.settled ? "" : ", NOT settled within 150 s"}`,
      },
      "lower",
    );
    row(
      "idle authenticated sessions: file descriptors per session",
      "fds",
      {
        apop: idle.apop.fdsPerSession,
        dovecot: idle.dovecot.fdsPerSession,
      },
      "lower",
    );

    // Connect storm: 10,000 logins, as many in flight as the servers accept.
    await sleep(2000);
    const storm = {};
    for (const server of [apop, dovecot]) {
      storm[server.name] = await connectStorm({
        port: server.port,
        users,
        count: STORM,
        concurrency: 256,
      });
      await sleep(2000);
    }
    row(`connect storm: ${STORM} logins (APOP + QUIT), 256 in flight`, "logins/s", {
      apop: storm.apop.loginsPerSecond,
      dovecot: storm.dovecot.loginsPerSecond,
      note: `failures: apop ${storm.apop.failures}, Dovecot ${storm.dovecot.failures}`,
    });

    // Live heap per idle session, which does not depend on when V8 last collected (PSS does):
    // from heap snapshots of a second apop-server, the same build with --heapsnapshot-signal.
    const heap = await liveHeapPerSession({
      dir,
      mailRoot: join(dir, "mail-apop"),
      users,
      certificate,
      count: IDLE_HEAP,
    });
    row(
      "idle authenticated sessions: live heap per session (V8 heap snapshots)",
      "KiB",
      {
        apop: heap.bytesPerSession / 1024,
        dovecot: null,
        note: `apop ${heap.held}/${IDLE_HEAP} held, on a second apop-server started with --heapsnapshot-signal`,
      },
      "lower",
    );
  } finally {
    for (const server of [apop, dovecot, floor, bigFloor]) await server.stop();
  }
  printTable(results.rows);
  writeFileSync(
    join(repo, "bench-results.json"),
    `${JSON.stringify({ server: results }, null, 2)}\n`,
  );
}

try {
  await main();
} finally {
  if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
}
