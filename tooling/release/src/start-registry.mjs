// A throwaway npm registry (verdaccio) for the release check, run as its own process.
// Usage: node start-registry.mjs <storage-dir>
// Listens on 127.0.0.1 with a port from the kernel and prints `{"port":N}` on one line once it
// accepts connections. `@apop/*` exists only here (what the check publishes); every other
// package comes through from the npm registry this machine's npm uses (the uplink).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runServer } from "verdaccio";

const [storageDir, uplinkUrl] = process.argv.slice(2);
if (storageDir === undefined || uplinkUrl === undefined) {
  console.error("usage: node start-registry.mjs <storage-dir> <uplink-registry-url>");
  process.exit(2);
}
mkdirSync(storageDir, { recursive: true });
const htpasswd = join(storageDir, "htpasswd");
writeFileSync(htpasswd, "");

const config = {
  self_path: join(storageDir, "config.yaml"),
  configPath: join(storageDir, "config.yaml"),
  storage: join(storageDir, "storage"),
  auth: { htpasswd: { file: htpasswd, max_users: 100 } },
  uplinks: { upstream: { url: uplinkUrl, timeout: "60s", maxage: "30m" } },
  packages: {
    "@apop/*": { access: "$all", publish: "$authenticated", unpublish: "$authenticated" },
    "**": { access: "$all", publish: "$authenticated", proxy: "upstream" },
  },
  security: { api: { legacy: true } },
  web: { enable: false },
  log: { type: "stdout", format: "pretty", level: "warn" },
  server: { keepAliveTimeout: 60 },
};

const server = await runServer(config);
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
