/**
 * UTF-8 user names and passwords (RFC 6856 section 2.2) end to end: the `apop` CLI logging in
 * to the apop-server program over a socket with USER/PASS, its bytes recorded on the way; and
 * the same CLI against Dovecot, which lists no UTF8 capability.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildBulkCorpus } from "../src/corpus.ts";
import { APOP_CLI } from "../src/programs.ts";
import { describeRun, runTool, type ToolResult } from "../src/run-tool.ts";
import { type ApopServer, startApopServer } from "../src/start-apop-server.ts";
import { startTcpRelay, type TcpRelay } from "../src/tcp-relay.ts";
import type { Account } from "../src/users.ts";
import { writeMaildir } from "../src/write-maildir.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const small = buildBulkCorpus().slice(0, 3);

/** A user name and password outside ASCII, with letters SASLprep keeps as they are. */
const JUERGEN: Account = { name: "j\u00fcrgen", secret: "gr\u00fc\u00dfe-p\u00e4sswort" };
/** Dovecot's default `auth_username_chars` is ASCII: a UTF-8 password only. */
const UTE: Account = { name: "ute", secret: "\u00fcberall-gr\u00fc\u00dfe" };

const peers = usePeers("utf8-credentials", { dovecot: [[UTE, small]] });

/** apop-server with plaintext logins allowed, behind a relay that keeps what clients send. */
let server: ApopServer | undefined;
let relay: TcpRelay | undefined;
const sent: Buffer[] = [];

beforeAll(async () => {
  const maildirRoot = join(peers.dir(), "apop-maildirs");
  await writeMaildir({ dir: join(maildirRoot, JUERGEN.name), messages: small });
  server = await startApopServer({
    dir: peers.dir(),
    maildirRoot,
    users: [JUERGEN],
    certificates,
    allowPlaintextAuth: true,
  });
  relay = await startTcpRelay({ target: server.port, onClientData: (chunk) => sent.push(chunk) });
});

afterAll(async () => {
  await relay?.close();
  await server?.stop();
});

let runs = 0;

function apop(url: string, account: Account, ...flags: string[]): Promise<ToolResult> {
  return runTool({
    command: process.execPath,
    args: [APOP_CLI, "list", url, "--ca", certificates.ca, ...flags],
    env: {
      PATH: process.env.PATH,
      HOME: peers.dir(),
      XDG_STATE_HOME: join(peers.dir(), `state-${++runs}`),
      APOP_PASSWORD: account.secret,
      NO_COLOR: "1",
      LANG: "C",
    },
    timeoutMs: 60_000,
  });
}

describe("the apop CLI and apop-server (RFC 6856 section 2.2)", () => {
  it("sends UTF8, then the UTF-8 USER and PASS, and lists the mailbox", async () => {
    const { port } = relay as NonNullable<typeof relay>;
    const url = `pop3://${encodeURIComponent(JUERGEN.name)}@127.0.0.1:${port}`;
    const result = await apop(url, JUERGEN, "--tls", "none", "--allow-plaintext", "--auth", "user");
    expect(result.code, describeRun(result)).toBe(0);
    const lines = Buffer.concat(sent).toString("utf8").split("\r\n");
    const utf8 = lines.indexOf("UTF8");
    expect(utf8, lines.join(" | ")).toBeGreaterThan(-1);
    expect(lines.indexOf(`USER ${JUERGEN.name}`)).toBeGreaterThan(utf8);
    expect(lines.indexOf(`PASS ${JUERGEN.secret}`)).toBeGreaterThan(utf8);
  });

  it("answers in German after UTF8 and LANG de, the client sending UTF8 once", async () => {
    const { port } = relay as NonNullable<typeof relay>;
    const url = `pop3://${encodeURIComponent(JUERGEN.name)}@127.0.0.1:${port}`;
    const wrong = { ...JUERGEN, secret: "falsch" };
    const result = await apop(
      url,
      wrong,
      "--tls",
      "none",
      "--allow-plaintext",
      "--auth",
      "user",
      "--lang",
      "de",
    );
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr.toString("utf8")).toContain("[AUTH] Anmeldung fehlgeschlagen");
  });
});

describe("the apop CLI and Dovecot, which lists no UTF8", () => {
  it("refuses USER/PASS with a UTF-8 password before sending it: exit 4, the reason said", async () => {
    const url = `pop3s://${UTE.name}@127.0.0.1:${peers.dovecot().tlsPort}`;
    const result = await apop(url, UTE, "--auth", "user");
    expect(result.code, describeRun(result)).toBe(4);
    expect(result.stderr.toString("utf8")).toContain(
      "does not offer UTF8 USER (RFC 6856 section 2.2)",
    );
    expect(result.stderr.toString("utf8")).not.toContain("--allow-plaintext");
  });

  it("logs in with PLAIN, which carries UTF-8 by itself (RFC 4616 section 2)", async () => {
    const url = `pop3s://${UTE.name}@127.0.0.1:${peers.dovecot().tlsPort}`;
    const result = await apop(url, UTE, "--auth", "plain");
    expect(result.code, describeRun(result)).toBe(0);
  });
});
