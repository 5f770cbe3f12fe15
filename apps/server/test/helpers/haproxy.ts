import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import path from "node:path";

export const HAPROXY = "/usr/sbin/haproxy";

/** A TCP port on 127.0.0.1 that was free a moment ago (HAProxy needs the number in its file). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Debian's HAProxy in TCP mode in front of POP3 backends, as an operator would run it:
 * PROXY protocol v2 to each backend (`send-proxy-v2`), a POP3 health check that sends a v2
 * LOCAL header, waits for the greeting and says QUIT, and `option redispatch` so a connection
 * that cannot reach its backend goes to another. Its config lives in `dir`.
 */
export async function startHaproxy(options: {
  dir: string;
  backends: readonly number[];
}): Promise<{ port: number; stop: () => Promise<void>; output: () => string }> {
  if (!existsSync(HAPROXY)) throw new Error(`${HAPROXY} is missing: run npm run setup`);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const config = path.join(options.dir, "haproxy.cfg");
    writeFileSync(
      config,
      [
        "global",
        "  maxconn 200",
        "defaults",
        "  mode tcp",
        "  timeout connect 1s",
        "  timeout client 60s",
        "  timeout server 60s",
        "  retries 2",
        "  option redispatch",
        "listen pop3",
        `  bind 127.0.0.1:${port}`,
        "  balance roundrobin",
        "  option tcp-check",
        "  tcp-check expect rstring ^\\+OK",
        "  tcp-check send QUIT\\r\\n",
        "  tcp-check expect rstring ^\\+OK",
        "  default-server send-proxy-v2 check-send-proxy check inter 300ms fall 1 rise 1",
        ...options.backends.map((backend, i) => `  server s${i} 127.0.0.1:${backend}`),
        "",
      ].join("\n"),
    );
    const child = spawn(HAPROXY, ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const up = await Promise.race([waitForPort(port).then(() => true), exited.then(() => false)]);
    if (up) {
      return { port, stop: () => stop(child, exited), output: () => output };
    }
    if (attempt >= 3 || !/cannot bind|Address already in use/i.test(output)) {
      throw new Error(`haproxy did not start:\n${output}`);
    }
  }
}

async function stop(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode === null) child.kill("SIGTERM");
  await exited;
}

/** Resolves once something accepts connections on the port. */
async function waitForPort(port: number): Promise<void> {
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
