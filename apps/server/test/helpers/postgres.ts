import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./haproxy.ts";

export const POSTGRES_BIN = "/usr/lib/postgresql/15/bin";

/** `setpriv` execs in place, so the child is postgres itself and gets our signals directly. */
const AS_POSTGRES = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--"];

/**
 * Debian's PostgreSQL 15, started by the test: `initdb` and `postgres` refuse to run as root,
 * so they run as the `postgres` account (`setpriv`) in a temporary folder it owns, on
 * 127.0.0.1 with a free port and the socket inside that folder. Trust authentication, a
 * database `apop` owned by the role `apop`.
 */
export class TestPostgres {
  readonly dir: string;
  readonly port: number;
  #child: ChildProcess | null = null;
  #exited: Promise<unknown> = Promise.resolve();
  output = "";

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  static async start(): Promise<TestPostgres> {
    if (!existsSync(path.join(POSTGRES_BIN, "postgres"))) {
      throw new Error(`${POSTGRES_BIN}/postgres is missing: run npm run setup`);
    }
    const dir = mkdtempSync(path.join(tmpdir(), "apop-postgres-"));
    const { uid, gid } = owner("postgres");
    chownSync(dir, uid, gid);
    execFileSync(
      "setpriv",
      [
        ...AS_POSTGRES,
        path.join(POSTGRES_BIN, "initdb"),
        "-D",
        path.join(dir, "data"),
        "--auth=trust",
        "--username=apop",
        "--no-sync",
        "--encoding=UTF8",
        "--locale=C",
      ],
      { cwd: dir, stdio: "pipe" },
    );
    const server = new TestPostgres(dir, await freePort());
    await server.resume();
    const admin = await server.client("postgres");
    await admin.query("CREATE DATABASE apop");
    await admin.end();
    return server;
  }

  /** `postgresql://apop@127.0.0.1:PORT/apop`. */
  get url(): string {
    return `postgresql://apop@127.0.0.1:${this.port}/apop`;
  }

  async client(database = "apop"): Promise<pg.Client> {
    const client = new pg.Client({ host: "127.0.0.1", port: this.port, user: "apop", database });
    await client.connect();
    client.on("error", () => {});
    return client;
  }

  /** Starts the server (again) on the same port and data, once it accepts queries. */
  async resume(): Promise<void> {
    const child = spawn(
      "setpriv",
      [
        ...AS_POSTGRES,
        path.join(POSTGRES_BIN, "postgres"),
        "-D",
        path.join(this.dir, "data"),
        "-k",
        this.dir,
        "-p",
        String(this.port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
      ],
      { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", resolve));
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`postgres exited:\n${this.output}`);
      try {
        const probe = await this.client("postgres");
        await probe.end();
        return;
      } catch {
        if (attempt > 600) throw new Error(`postgres did not come up:\n${this.output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Stops the server (fast shutdown: sessions are cut), keeping its data for `resume`. */
  async halt(): Promise<void> {
    // SIGINT: fast shutdown, which cuts open sessions (SIGTERM would wait for them).
    this.#child?.kill("SIGINT");
    await this.#exited;
    this.#child = null;
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function owner(name: string): { uid: number; gid: number } {
  const line = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim();
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}
