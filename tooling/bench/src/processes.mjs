// Starting the servers under test, and measuring what their processes hold.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A free loopback port (closed again; a race with another program is possible but rare). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something on `port` greets with +OK; gives up after `ms`. */
export async function waitForGreeting(port, ms = 20_000) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.setTimeout(1000);
      socket.once("data", (data) => {
        socket.end("QUIT\r\n");
        resolve(data.toString("latin1").startsWith("+OK"));
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing greets on port ${port}`);
    await sleep(100);
  }
}

/** Spawns a long-running child whose output is kept for error messages. */
export function startChild(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  const output = [];
  child.stdout.on("data", (chunk) => output.push(chunk));
  child.stderr.on("data", (chunk) => output.push(chunk));
  child.output = () => Buffer.concat(output).toString("utf8");
  return child;
}

export async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!done) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** `pid` and every process below it. */
export function processTree(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [];
  const walk = (p) => {
    tree.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return tree;
}

/**
 * Proportional set size (PSS, KiB: shared pages divided among the processes sharing them)
 * and open file descriptors, summed over a process tree.
 */
export function memoryAndFds(pid) {
  let pssKiB = 0;
  let fds = 0;
  const pids = processTree(pid);
  for (const p of pids) {
    try {
      const rollup = readFileSync(`/proc/${p}/smaps_rollup`, "utf8");
      pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      fds += readdirSync(`/proc/${p}/fd`).length;
    } catch {
      // gone meanwhile
    }
  }
  return { pssKiB, fds, processes: pids.length };
}

/**
 * `memoryAndFds` once the process has settled. A garbage-collected server (Node) keeps the
 * garbage of its last busy moment resident until V8 collects it, and V8 collects, compacts
 * and shrinks its heap by itself (its memory reducer) only some 35-45 s after the logins of
 * the idle rows end: one sample before that measures when the last collection happened, not
 * what the sessions hold (docs/performance.md). So: sampled every second for at least
 * `minMs`, then until the last `stableSamples` samples lie within `toleranceKiB` of each
 * other, for at most `boundMs`.
 * Returns the median of those last samples, with `settled` (false: the bound came first)
 * and the seconds it took.
 */
export async function settledMemoryAndFds(
  pid,
  { minMs = 60_000, stableSamples = 10, toleranceKiB = 1024, boundMs = 150_000 } = {},
) {
  const started = Date.now();
  const samples = [memoryAndFds(pid)];
  for (;;) {
    const last = samples.slice(-stableSamples);
    const pss = last.map((s) => s.pssKiB);
    const elapsed = Date.now() - started;
    const settled =
      elapsed >= minMs &&
      last.length === stableSamples &&
      Math.max(...pss) - Math.min(...pss) <= toleranceKiB;
    if (settled || elapsed >= boundMs) {
      const median = [...last].sort((a, b) => a.pssKiB - b.pssKiB)[Math.floor(last.length / 2)];
      return { ...median, settled, seconds: Math.round(elapsed / 1000) };
    }
    await sleep(1000);
    samples.push(memoryAndFds(pid));
  }
}

/** A self-signed certificate for localhost, made with the openssl CLI into `dir`. */
export function makeCertificate(dir) {
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.pem`,
      "-days",
      "2",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ],
    { stdio: "ignore" },
  );
  return { cert: `${dir}/cert.pem`, key: `${dir}/key.pem`, ca: readFileSync(`${dir}/cert.pem`) };
}
