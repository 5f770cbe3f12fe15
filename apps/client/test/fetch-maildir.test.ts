import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { maildirProblems, readMaildir } from "./helpers/local-mail.ts";
import { bigMessage, smallMessage, TRICKY } from "./helpers/messages.ts";
import { runApop } from "./helpers/run-apop.ts";
import { fetchArgs, PASSWORD, perFileServer } from "./helpers/server.ts";
import { serverMessageCount } from "./helpers/workspace.ts";

const { pki, work, server } = perFileServer();

const MESSAGES = [...TRICKY, bigMessage(1024 * 1024, "1 MiB")];

describe("apop fetch into a Maildir", () => {
  it("writes every message byte-exact with LF line ends, then fetches nothing new, then --delete empties the server", async () => {
    const user = work.user(MESSAGES);
    const local = join(work.dir, `${user.name}-Maildir`);
    const url = `pop3s://${user.name}@127.0.0.1:${server.tlsPort}`;
    const env = { APOP_PASSWORD: PASSWORD };

    const first = await runApop(["fetch", url, "--ca", pki.caFile, "--maildir", local], {
      home: user.home,
      env,
    });
    expect(first.stderr).toContain(`${MESSAGES.length} new messages`);
    expect(first.code).toBe(0);
    expect(maildirProblems(local, MESSAGES)).toEqual([]);
    expect(readMaildir(local).tmp).toEqual([]);
    expect(serverMessageCount(user.serverMaildir)).toBe(MESSAGES.length);

    const second = await runApop(["fetch", url, "--ca", pki.caFile, "--maildir", local], {
      home: user.home,
      env,
    });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("no new mail");
    expect(maildirProblems(local, MESSAGES)).toEqual([]);

    const third = await runApop(
      ["fetch", url, "--ca", pki.caFile, "--maildir", local, "--delete"],
      {
        home: user.home,
        env,
      },
    );
    expect(third.code).toBe(0);
    expect(third.stderr).toContain(`${MESSAGES.length} messages deleted on the server`);
    expect(serverMessageCount(user.serverMaildir)).toBe(0);
    expect(maildirProblems(local, MESSAGES)).toEqual([]);
  });

  it("fetches over STLS (pop3://) and creates new/ cur/ tmp/ in a missing Maildir", async () => {
    const messages = [smallMessage(1), smallMessage(2)];
    const user = work.user(messages);
    const local = join(work.dir, `${user.name}-deep`, "Mail", "inbox");
    const result = await runApop(
      [
        "fetch",
        `pop3://${user.name}@127.0.0.1:${server.port}`,
        "--ca",
        pki.caFile,
        "--maildir",
        local,
      ],
      { home: user.home, env: { APOP_PASSWORD: PASSWORD } },
    );
    const octets = messages.reduce((sum, m) => sum + m.arrives.length, 0);
    expect(result.stderr).toBe(
      `apop: 2 new messages (${octets} B) for ${user.name}@127.0.0.1:${server.port} written to ${local}\n`,
    );
    expect(result.code).toBe(0);
    for (const sub of ["new", "cur", "tmp"]) expect(existsSync(join(local, sub))).toBe(true);
    expect(maildirProblems(local, messages)).toEqual([]);
  });

  it("rebuilds what it has from the Maildir file names when the state file is lost", async () => {
    const messages = [smallMessage(1), smallMessage(2), smallMessage(3)];
    const user = work.user(messages);
    const local = join(work.dir, `${user.name}-Maildir`);
    const args = fetchArgs(
      { port: server.tlsPort, user: user.name, ca: pki.caFile },
      "--maildir",
      local,
    );
    const env = { APOP_PASSWORD: PASSWORD };
    expect((await runApop(args, { home: user.home, env })).code).toBe(0);
    rmSync(join(user.home, "state"), { recursive: true });
    const again = await runApop(args, { home: user.home, env });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("no new mail");
    expect(maildirProblems(local, messages)).toEqual([]);
  });

  it("recognises its messages after a mail reader moved them to cur/ with flags", async () => {
    const messages = [smallMessage(1), smallMessage(2)];
    const user = work.user(messages);
    const local = join(work.dir, `${user.name}-Maildir`);
    const args = fetchArgs(
      { port: server.tlsPort, user: user.name, ca: pki.caFile },
      "--maildir",
      local,
    );
    const env = { APOP_PASSWORD: PASSWORD };
    expect((await runApop(args, { home: user.home, env })).code).toBe(0);
    for (const name of readdirSync(join(local, "new"))) {
      writeFileSync(join(local, "cur", `${name}:2,S`), readFileSync(join(local, "new", name)));
      rmSync(join(local, "new", name));
    }
    rmSync(join(user.home, "state"), { recursive: true });
    const again = await runApop(args, { home: user.home, env });
    expect(again.stderr).toContain("no new mail");
    expect(maildirProblems(local, messages)).toEqual([]);
  });

  it("keeps the UIDs it fetched in the state file under $XDG_STATE_HOME/apop", async () => {
    const messages = [smallMessage(1)];
    const user = work.user(messages);
    const local = join(work.dir, `${user.name}-Maildir`);
    const url = `pop3s://${user.name}@127.0.0.1:${server.tlsPort}`;
    expect(
      (
        await runApop(["fetch", url, "--ca", pki.caFile, "--maildir", local], {
          home: user.home,
          env: { APOP_PASSWORD: PASSWORD },
        })
      ).code,
    ).toBe(0);
    const state = JSON.parse(
      readFileSync(
        join(user.home, "state", "apop", `${user.name}@127.0.0.1_${server.tlsPort}.json`),
        "utf8",
      ),
    ) as { account: string; tls: boolean; uids: Record<string, unknown>; journal: unknown };
    expect(state.account).toBe(`${user.name}@127.0.0.1:${server.tlsPort}`);
    expect(state.tls).toBe(true);
    expect(Object.keys(state.uids)).toEqual(["1000000000.M0P1Q0.pop.test"]);
    expect(state.journal).toBeNull();
  });
});
