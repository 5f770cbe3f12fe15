import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createMaildirStore } from "@apop/maildir";
import { describe, expect, it } from "vitest";
import {
  expectedMbox,
  maildirProblems,
  readMaildir,
  readMboxWithoutDates,
} from "./helpers/local-mail.ts";
import { bigMessage, smallMessage, type TestMessage } from "./helpers/messages.ts";
import { collect, runApop, spawnApop } from "./helpers/run-apop.ts";
import {
  fetchArgs,
  gateStore,
  PASSWORD,
  perFileServer,
  startServer,
  type TestServer,
} from "./helpers/server.ts";
import { until } from "./helpers/until.ts";
import { serverMessageCount } from "./helpers/workspace.ts";

const { pki, work, server } = perFileServer();

const env = { APOP_PASSWORD: PASSWORD };

/** Four messages, the third big enough to be caught in the middle. */
function mailbox(): TestMessage[] {
  return [smallMessage(1), smallMessage(2), bigMessage(1024 * 1024, "1 MiB"), smallMessage(3)];
}

/** Waits until the server has let go of every session (and so of the maildrop lock). */
async function sessionsGone(served: TestServer): Promise<void> {
  await until(() => served.server.connectionCount === 0);
}

describe("SIGKILL in the middle of a large message", () => {
  it.each(["maildir", "mbox"] as const)(
    "%s: nothing half-written counts as mail, nothing is deleted on the server, and the next run completes the mailbox exactly once",
    async (kind) => {
      const messages = mailbox();
      const user = work.user(messages);
      const { store, gate } = gateStore({
        store: createMaildirStore({ root: work.root }),
        user: user.name,
        index: 2,
        afterBytes: 300 * 1024,
      });
      const slow = await startServer({ root: work.root, pki, store });
      try {
        const local = join(work.dir, `${user.name}-${kind}`);
        const destination = kind === "maildir" ? ["--maildir", local] : ["--mbox", local];
        const child = spawnApop(
          fetchArgs(
            { port: slow.tlsPort, user: user.name, ca: pki.caFile },
            ...destination,
            "--delete",
          ),
          {
            home: user.home,
            env,
          },
        );
        const done = collect(child);
        await gate.reached;
        // The client has been writing the big message: its bytes are on disk, not yet complete.
        const spool = join(
          user.home,
          "state",
          "apop",
          `${user.name}@127.0.0.1_${slow.tlsPort}.json.spool`,
        );
        // The server may run ahead of the client (its RETRs are pipelined): wait until the
        // first two messages are stored and the third is partly on disk.
        await until(() => {
          const partial =
            kind === "maildir"
              ? readdirSync(join(local, "tmp")).map((n) => join(local, "tmp", n))
              : [spool];
          const before =
            kind === "maildir"
              ? existsSync(join(local, "new")) && readdirSync(join(local, "new")).length === 2
              : existsSync(local) &&
                readMboxWithoutDates(local) === expectedMbox(messages.slice(0, 2));
          return before && partial.some((file) => existsSync(file) && statSync(file).size > 0);
        });
        child.kill("SIGKILL");
        expect((await done).signal).toBe("SIGKILL");

        if (kind === "maildir") {
          expect(maildirProblems(local, messages.slice(0, 2))).toEqual([]);
          expect(readMaildir(local).tmp).toHaveLength(1);
        } else {
          expect(readMboxWithoutDates(local)).toBe(expectedMbox(messages.slice(0, 2)));
        }
        gate.release();
        await sessionsGone(slow);
        expect(serverMessageCount(user.serverMaildir)).toBe(messages.length);

        const again = await runApop(
          fetchArgs(
            { port: slow.tlsPort, user: user.name, ca: pki.caFile },
            ...destination,
            "--delete",
          ),
          {
            home: user.home,
            env,
          },
        );
        expect(again.stderr).toContain("2 new messages");
        expect(again.code).toBe(0);
        if (kind === "maildir") {
          expect(maildirProblems(local, messages)).toEqual([]);
          expect(readMaildir(local).tmp).toEqual([]);
        } else {
          expect(readMboxWithoutDates(local)).toBe(expectedMbox(messages));
        }
        expect(serverMessageCount(user.serverMaildir)).toBe(0);
      } finally {
        gate.release();
        await slow.close();
      }
    },
  );

  it("SIGINT stops cleanly: exit 130, the partial message removed, nothing deleted", async () => {
    const messages = mailbox();
    const user = work.user(messages);
    const { store, gate } = gateStore({
      store: createMaildirStore({ root: work.root }),
      user: user.name,
      index: 2,
      afterBytes: 300 * 1024,
    });
    const slow = await startServer({ root: work.root, pki, store });
    try {
      const local = join(work.dir, `${user.name}-Maildir`);
      const child = spawnApop(
        fetchArgs(
          { port: slow.tlsPort, user: user.name, ca: pki.caFile },
          "--maildir",
          local,
          "--delete",
        ),
        {
          home: user.home,
          env,
        },
      );
      const done = collect(child);
      await gate.reached;
      // RETRs are pipelined: the server can be stuck in message 3 while the client still
      // writes message 2. Wait for both earlier ones in new/ and the third begun in tmp/.
      await until(
        () =>
          readdirSync(join(local, "new")).length === 2 &&
          readdirSync(join(local, "tmp")).length > 0,
      );
      child.kill("SIGINT");
      const result = await done;
      expect(result.stderr).toMatch(
        /^apop: stopped by SIGINT: .*nothing was deleted on the server/m,
      );
      expect(result.code).toBe(130);
      expect(readMaildir(local).tmp).toEqual([]);
      expect(maildirProblems(local, messages.slice(0, 2))).toEqual([]);
      gate.release();
      await sessionsGone(slow);
      expect(serverMessageCount(user.serverMaildir)).toBe(messages.length);
    } finally {
      gate.release();
      await slow.close();
    }
  });
});

describe("a crash at every step of a delivery", () => {
  const points = [
    ["maildir", "maildir-after-write:2"],
    ["maildir", "maildir-after-rename:2"],
    // One sync of new/ makes a whole batch durable: its first passage is the one to kill.
    ["maildir", "maildir-after-deliver"],
    ["maildir", "before-quit"],
    ["mbox", "mbox-after-spool:2"],
    ["mbox", "mbox-after-journal:2"],
    ["mbox", "mbox-mid-append:2"],
    ["mbox", "mbox-after-append:2"],
    ["mbox", "before-quit"],
  ] as const;

  it.each(points)(
    "%s, killed at %s: the next run leaves every message local exactly once and the server empty",
    async (kind, point) => {
      const messages = [smallMessage(1), bigMessage(200 * 1024, "200 KiB"), smallMessage(2)];
      const user = work.user(messages);
      const local = join(work.dir, `${user.name}-${kind}`);
      const destination = kind === "maildir" ? ["--maildir", local] : ["--mbox", local];
      const crashed = await runApop(
        fetchArgs(
          { port: server.tlsPort, user: user.name, ca: pki.caFile },
          ...destination,
          "--delete",
        ),
        {
          home: user.home,
          env: { ...env, APOP_TEST_CRASH_AT: point },
        },
      );
      expect(crashed.signal).toBe("SIGKILL");
      await sessionsGone(server);
      // No QUIT was sent, so no DELE was committed, whatever had been written.
      expect(serverMessageCount(user.serverMaildir)).toBe(messages.length);

      const again = await runApop(
        fetchArgs(
          { port: server.tlsPort, user: user.name, ca: pki.caFile },
          ...destination,
          "--delete",
        ),
        {
          home: user.home,
          env,
        },
      );
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain("may appear twice");
      if (point === "mbox-mid-append:2")
        expect(again.stderr).toContain("removed the partial message");
      if (kind === "maildir") {
        expect(maildirProblems(local, messages)).toEqual([]);
        expect(readMaildir(local).tmp).toEqual([]);
      } else {
        expect(readMboxWithoutDates(local)).toBe(expectedMbox(messages));
      }
      expect(serverMessageCount(user.serverMaildir)).toBe(0);
    },
  );
});
