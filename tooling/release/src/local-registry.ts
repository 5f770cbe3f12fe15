import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { run } from "./run.ts";
import { REPO_ROOT } from "./workspaces.ts";

/** A running throwaway registry and an npm config that publishes to it. */
export type LocalRegistry = {
  url: string;
  /** An `.npmrc` with the registry and a token for it; pass it as `--userconfig`. */
  userconfig: string;
  stop(): Promise<void>;
};

/**
 * Starts verdaccio (start-registry.mjs) on 127.0.0.1 with its storage under `dir`, signs up
 * one user through the registry's own API and writes an `.npmrc` for it. Packages other than
 * `@apop/*` come through from the registry this machine's npm uses.
 */
export async function startLocalRegistry(options: { dir: string }): Promise<LocalRegistry> {
  const npmConfig = async (key: string): Promise<string> =>
    (await run({ command: "npm", args: ["config", "get", key], cwd: REPO_ROOT })).stdout.trim();
  const uplink = await npmConfig("registry");
  const cafile = await npmConfig("cafile");
  const env = { ...process.env };
  if (cafile !== "" && cafile !== "null" && cafile !== "undefined")
    env.NODE_EXTRA_CA_CERTS = cafile;

  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "start-registry.mjs"), join(options.dir, "registry"), uplink],
    { cwd: options.dir, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<ChildProcess["stdout"]> });
    lines.on("line", (line) => {
      const match = /^\{"port":(\d+)\}$/.exec(line);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    child.on("exit", (code) =>
      reject(new Error(`verdaccio exited ${code} before listening\n${stderr}`)),
    );
  });
  const url = `http://127.0.0.1:${port}/`;
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });

  try {
    // npm's "adduser" call (the CouchDB user document); verdaccio answers with a token.
    const user = "apop-release-check";
    const response = await fetch(`${url}-/user/org.couchdb.user:${user}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: user, password: "release-check", type: "user", roles: [] }),
    });
    const body = (await response.json()) as { token?: string };
    if (!response.ok || body.token === undefined) {
      throw new Error(`verdaccio refused the user: ${response.status} ${JSON.stringify(body)}`);
    }
    const userconfig = join(options.dir, "npmrc");
    writeFileSync(
      userconfig,
      [
        `registry=${url}`,
        `//127.0.0.1:${port}/:_authToken=${body.token}`,
        "audit=false",
        "fund=false",
        "update-notifier=false",
        "",
      ].join("\n"),
    );
    return { url, userconfig, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
