import { existsSync } from "node:fs";
import { runTool } from "./run-tool.ts";

/**
 * The interpreter for our poplib script: `python3` from PATH (Debian's /usr/bin/python3 in
 * CI; a pyenv shim on a development machine is fine too). The run prints which one it was.
 */
export const PYTHON = process.env.APOP_INTEROP_PYTHON ?? "python3";

/**
 * Debian's own interpreter, the one getmail6's `#!/usr/bin/python3` runs: only it sees the
 * `getmailcore` package, which the getmail check uses as its oracle.
 */
export const DEBIAN_PYTHON = "/usr/bin/python3";

/** Where Debian's dovecot-pop3d puts the POP3 process that `dovecot` starts. */
const DOVECOT_POP3 = ["/usr/lib/dovecot/pop3", "/usr/libexec/dovecot/pop3"];

interface Peer {
  /** How the run names it. */
  readonly name: string;
  /** The Debian package `npm run setup` installs it from. */
  readonly debianPackage: string;
  /** Runs it for its version; throws or returns null when it is missing. */
  version(): Promise<string | null>;
}

async function firstLine(
  command: string,
  args: readonly string[],
  pattern?: RegExp,
): Promise<string | null> {
  try {
    const result = await runTool({ command, args, timeoutMs: 30_000 });
    if (result.code !== 0) return null;
    const text = `${result.stdout.toString("utf8")}\n${result.stderr.toString("utf8")}`;
    const lines = text.split("\n").map((line) => line.trim());
    const line =
      pattern === undefined ? lines.find((l) => l !== "") : lines.find((l) => pattern.test(l));
    return line ?? null;
  } catch {
    return null;
  }
}

export const PEERS: readonly Peer[] = [
  {
    name: "dovecot",
    debianPackage: "dovecot-core, dovecot-pop3d",
    version: async () => {
      if (!DOVECOT_POP3.some((path) => existsSync(path))) return null;
      const version = await firstLine("dovecot", ["--version"]);
      return version === null ? null : `Dovecot ${version}`;
    },
  },
  {
    name: "fetchmail",
    debianPackage: "fetchmail",
    version: () => firstLine("fetchmail", ["--version"], /fetchmail release/),
  },
  {
    name: "getmail",
    debianPackage: "getmail6",
    version: () => firstLine("getmail", ["--version"]),
  },
  {
    name: "python3 poplib",
    debianPackage: "python3",
    version: () =>
      firstLine(PYTHON, [
        "-c",
        "import poplib, sys; print('Python', sys.version.split()[0], 'at', sys.executable, '(poplib)')",
      ]),
  },
  {
    name: "getmail's python3",
    debianPackage: "getmail6",
    version: () =>
      firstLine(DEBIAN_PYTHON, [
        "-c",
        "import getmailcore, sys; print('Python', sys.version.split()[0], 'at', sys.executable, '(getmailcore)')",
      ]),
  },
  {
    name: "curl",
    debianPackage: "curl",
    version: () => firstLine("curl", ["--version"]),
  },
  {
    name: "openssl",
    debianPackage: "openssl",
    version: () => firstLine("openssl", ["version"]),
  },
];

/**
 * Every peer's version line, or throws one line naming what is missing and `npm run setup`.
 * A missing peer is a failure, never a skip: CI installs them all.
 */
export async function checkPeers(): Promise<{ name: string; version: string }[]> {
  const found = await Promise.all(
    PEERS.map(async (peer) => ({ peer, version: await peer.version() })),
  );
  const missing = found.filter((entry) => entry.version === null);
  if (missing.length > 0) {
    const names = missing.map(({ peer }) => `${peer.name} (${peer.debianPackage})`).join(", ");
    throw new Error(
      `interop: missing peers: ${names}; run \`npm run setup\` (needs root) and try again`,
    );
  }
  return found.map(({ peer, version }) => ({ name: peer.name, version: version as string }));
}
