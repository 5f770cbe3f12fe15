// Live heap per idle session, from V8 heap snapshots: a snapshot is taken after a full
// collection, so this figure does not depend on when V8 last collected, as PSS does
// (docs/performance.md).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { holdSessions, release } from "./load.mjs";
import { waitForGreeting } from "./processes.mjs";
import { startApop } from "./servers.mjs";

/**
 * Starts a second apop-server, the same build and configuration as the measured one plus
 * `--heapsnapshot-signal` (which does nothing until the signal comes), holds `count`
 * sessions on it, and answers the heap bytes per session: the snapshot while held minus the
 * one before, compiled code left out. The PSS rows stay those of the server as it ships.
 */
export async function liveHeapPerSession({ dir, mailRoot, users, certificate, count }) {
  const snapshots = mkdtempSync(join(dir, "heap-"));
  const server = await startApop({
    dir,
    mailRoot,
    users,
    certificate,
    nodeArgs: ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${snapshots}`],
  });
  try {
    const before = await heapBytes(server, snapshots);
    const { held, failures } = await holdSessions({
      port: server.port,
      users: users.slice(0, count),
      concurrency: 64,
    });
    const during = await heapBytes(server, snapshots);
    await release(held);
    return {
      held: held.length,
      failures,
      bytesPerSession: (during - before) / Math.max(1, held.length),
    };
  } finally {
    await server.stop();
    rmSync(snapshots, { recursive: true, force: true });
  }
}

/** Signals a snapshot, waits for it, and sums the self size of every object but code. */
async function heapBytes(server, snapshots) {
  const known = new Set(readdirSync(snapshots));
  process.kill(server.pid, "SIGUSR2");
  let file;
  while (file === undefined) {
    await sleep(200);
    file = readdirSync(snapshots).find((name) => !known.has(name));
  }
  // The snapshot is written on the server's main thread: it greets again once it is done.
  await waitForGreeting(server.port, 300_000);
  const snapshot = JSON.parse(readFileSync(join(snapshots, file), "utf8"));
  const meta = snapshot.snapshot.meta;
  const step = meta.node_fields.length;
  const typeAt = meta.node_fields.indexOf("type");
  const sizeAt = meta.node_fields.indexOf("self_size");
  const code = meta.node_types[typeAt].indexOf("code");
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += step) {
    if (snapshot.nodes[i + typeAt] !== code) total += snapshot.nodes[i + sizeAt];
  }
  return total;
}
