// The load generator: POP3 sessions over real sockets, as many at once as asked, each checked
// (a fast wrong answer fails the run). One process, no worker threads: on a 2-core machine the
// server under test needs the other core. Its own CPU time is reported with every figure, and
// the floor row (a canned-reply server) shows how much it can drive at all.
import { createHash } from "node:crypto";
import net from "node:net";
import tls from "node:tls";
import { Wire } from "./wire.mjs";

/** Opens a connection and waits for it; `tls` connects with implicit TLS (RFC 8314). */
export function open({ port, secure, ca }) {
  return new Promise((resolve, reject) => {
    const socket = secure
      ? tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" })
      : net.connect({ host: "127.0.0.1", port });
    socket.setNoDelay(true);
    const wire = new Wire(socket);
    socket.once(secure ? "secureConnect" : "connect", () => resolve(wire));
    socket.once("error", reject);
  });
}

function expectOk(line, what) {
  if (!line.startsWith("+OK")) throw new Error(`${what}: ${line}`);
  return line;
}

/** `APOP user digest` for the greeting's timestamp (RFC 1939 section 7). */
export async function apopLogin(wire, user, secret) {
  const greeting = expectOk(await wire.line(), "greeting");
  const timestamp = /<[^<>]*>/.exec(greeting)?.[0];
  if (timestamp === undefined) throw new Error(`greeting without APOP timestamp: ${greeting}`);
  const digest = createHash("md5")
    .update(timestamp + secret)
    .digest("hex");
  wire.send(`APOP ${user} ${digest}\r\n`);
  expectOk(await wire.line(), `APOP ${user}`);
}

export async function quit(wire) {
  wire.send("QUIT\r\n");
  expectOk(await wire.line(), "QUIT");
  wire.socket.destroy();
}

/** Percentile of sorted numbers. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Workers each run whole sessions back to back for `durationMs`: connect, APOP, STAT, RETR 1,
 * QUIT. Worker `w` uses users w, w+workers, ... so no two sessions want one maildrop. Every
 * RETR must equal `expected(user)` byte for byte (the dot-stuffed wire form, terminator
 * included). Returns sessions/s, p50/p99 latency in ms, and the generator's CPU share.
 */
export async function sessionsPerSecond({
  port,
  secure,
  ca,
  users,
  workers,
  durationMs,
  expected,
}) {
  const latencies = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  const stopAt = started + durationMs;
  let failures = 0;
  const worker = async (w) => {
    for (let i = w; performance.now() < stopAt; i += workers) {
      const user = users[i % users.length];
      const begin = performance.now();
      try {
        const wire = await open({ port, secure, ca });
        await apopLogin(wire, user.name, user.secret);
        wire.send("STAT\r\n");
        expectOk(await wire.line(), "STAT");
        wire.send("RETR 1\r\n");
        const { status, body } = await wire.block(true);
        expectOk(status, "RETR 1");
        const want = expected(user);
        if (!body.equals(want)) {
          throw new Error(`RETR 1 of ${user.name}: ${body.length} octets, expected ${want.length}`);
        }
        await quit(wire);
        latencies.push(performance.now() - begin);
      } catch (error) {
        failures++;
        if (failures <= 3) console.error(`session failed: ${error.message}`);
        if (failures > 50) throw new Error("too many failed sessions");
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    sessionsPerSecond: latencies.length / seconds,
    sessions: latencies.length,
    failures,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    generatorCpu: (used.user + used.system) / 1e6 / seconds,
  };
}

/** One session that RETRs one large message `rounds` times; MB/s of the best and median. */
export async function largeRetr({ port, user, expectedOctets, rounds }) {
  const wire = await open({ port });
  await apopLogin(wire, user.name, user.secret);
  const rates = [];
  const cpu = process.cpuUsage();
  let busy = 0;
  for (let round = 0; round < rounds; round++) {
    const begin = performance.now();
    wire.send("RETR 1\r\n");
    const { status, octets } = await wire.block(false);
    expectOk(status, "RETR 1");
    if (octets !== expectedOctets)
      throw new Error(`RETR 1: ${octets} octets, expected ${expectedOctets}`);
    const seconds = (performance.now() - begin) / 1000;
    busy += seconds;
    rates.push(octets / 1e6 / seconds);
  }
  await quit(wire);
  const used = process.cpuUsage(cpu);
  rates.sort((a, b) => a - b);
  return {
    bestMBps: rates.at(-1),
    medianMBps: percentile(rates, 50),
    generatorCpu: (used.user + used.system) / 1e6 / busy,
  };
}

/**
 * Sessions of login + LIST + UIDL + QUIT on one large maildrop, one after the other (the
 * maildrop lock allows one at a time), after one warm-up session. Each listing must have
 * `messages` entries.
 */
export async function listingSessions({ port, user, messages, durationMs }) {
  const session = async () => {
    const wire = await open({ port });
    await apopLogin(wire, user.name, user.secret);
    wire.send("LIST\r\n");
    const list = await wire.block(true);
    expectOk(list.status, "LIST");
    wire.send("UIDL\r\n");
    const uidl = await wire.block(true);
    expectOk(uidl.status, "UIDL");
    for (const [name, block] of [
      ["LIST", list.body],
      ["UIDL", uidl.body],
    ]) {
      let lines = 0;
      for (let at = block.indexOf(10); at >= 0; at = block.indexOf(10, at + 1)) lines++;
      if (lines - 1 !== messages)
        throw new Error(`${name}: ${lines - 1} entries, expected ${messages}`);
    }
    await quit(wire);
  };
  await session();
  const latencies = [];
  const started = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - started < durationMs) {
    const begin = performance.now();
    await session();
    latencies.push(performance.now() - begin);
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  return {
    sessionsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    generatorCpu: (used.user + used.system) / 1e6 / seconds,
  };
}

/**
 * Logs `users` in, `concurrency` at a time, and keeps every session open. Returns the held
 * wires (to be closed with `release`) and how many logins failed.
 */
export async function holdSessions({ port, users, concurrency }) {
  const held = [];
  let failures = 0;
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next++];
      try {
        const wire = await open({ port });
        await apopLogin(wire, user.name, user.secret);
        wire.send("NOOP\r\n");
        expectOk(await wire.line(), "NOOP");
        held.push(wire);
      } catch (error) {
        failures++;
        if (failures <= 3) console.error(`hold ${user.name}: ${error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { held, failures };
}

export async function release(held) {
  await Promise.all(
    held.map(async (wire) => {
      try {
        await quit(wire);
      } catch {
        wire.socket.destroy();
      }
    }),
  );
}

/** `count` sessions of APOP + QUIT, `concurrency` in flight: logins/s and failures. */
export async function connectStorm({ port, users, count, concurrency }) {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (next < count) {
      const user = users[next++ % users.length];
      try {
        const wire = await open({ port });
        await apopLogin(wire, user.name, user.secret);
        await quit(wire);
      } catch (error) {
        failures++;
        if (failures <= 3) console.error(`storm ${user.name}: ${error.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    loginsPerSecond: (count - failures) / seconds,
    failures,
    seconds,
    generatorCpu: (used.user + used.system) / 1e6 / seconds,
  };
}
