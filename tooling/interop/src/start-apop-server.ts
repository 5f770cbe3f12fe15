import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { spawnTracked, stopChild } from "./children.ts";
import type { Certificates } from "./global-setup.ts";
import { APOP_SERVER } from "./programs.ts";

/** A running apop-server child. */
export interface ApopServer {
  /** The plain listener (STLS on offer). */
  readonly port: number;
  /** The implicit TLS listener. */
  readonly tlsPort: number;
  /** Every log line the server wrote so far (JSON lines on stdout, anything on stderr). */
  readonly log: string[];
  stop(): Promise<void>;
}

/**
 * Runs the real `apop-server` program on free loopback ports (`--listen 127.0.0.1:0`, and
 * the same for `--tls-listen`), with a users file in Dovecot's passwd-file format and a
 * Maildir root. Resolves once its `started` log line is out, with the ports from its
 * `listening` lines. Rejects with the server's output if it exits first.
 */
export async function startApopServer(options: {
  dir: string;
  maildirRoot: string;
  users: readonly { name: string; secret: string }[];
  certificates: Certificates;
  allowPlaintextAuth?: boolean;
  /** The JavaScript runtime that runs the program. Default: this Node (`process.execPath`). */
  runtime?: string;
}): Promise<ApopServer> {
  const usersFile = join(options.dir, "apop-users");
  await writeFile(
    usersFile,
    options.users.map((user) => `${user.name}:{PLAIN}${user.secret}\n`).join(""),
    {
      mode: 0o600,
    },
  );
  const args = [
    APOP_SERVER,
    "--listen",
    "127.0.0.1:0",
    "--tls-listen",
    "127.0.0.1:0",
    "--tls-cert",
    options.certificates.cert,
    "--tls-key",
    options.certificates.key,
    "--users",
    usersFile,
    "--maildir-root",
    options.maildirRoot,
    "--hostname",
    "interop.test",
    "--shutdown-grace",
    "2",
    ...(options.allowPlaintextAuth === true ? ["--allow-plaintext-auth"] : []),
  ];
  const child = spawnTracked(options.runtime ?? process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: options.dir,
  });
  const log: string[] = [];
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) =>
    log.push(line),
  );
  const ports = await new Promise<{ port: number; tlsPort: number }>((resolve, reject) => {
    let port: number | undefined;
    let tlsPort: number | undefined;
    const timer = setTimeout(() => fail("did not start within 30 s"), 30_000);
    function fail(why: string): void {
      clearTimeout(timer);
      reject(new Error(`apop-server ${why}:\n  ${log.join("\n  ")}`));
    }
    child.once("error", (error) => fail(`could not be started: ${error.message}`));
    child.once("exit", (code, signal) =>
      fail(`exited before it started (code ${code}, signal ${signal})`),
    );
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      log.push(line);
      let event: { event?: string; port?: number; tls?: string };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.event === "listening" && event.tls === "implicit") tlsPort = event.port;
      else if (event.event === "listening") port = event.port;
      if (event.event === "started") {
        clearTimeout(timer);
        if (port === undefined || tlsPort === undefined) fail("logged no listening ports");
        else resolve({ port, tlsPort });
      }
    });
  });
  return { ...ports, log, stop: () => stopChild(child) };
}
