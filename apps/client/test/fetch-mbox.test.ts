import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectedMbox, readMboxWithoutDates } from "./helpers/local-mail.ts";
import { bigMessage, smallMessage, TRICKY } from "./helpers/messages.ts";
import { runApop } from "./helpers/run-apop.ts";
import { fetchArgs, PASSWORD, perFileServer } from "./helpers/server.ts";
import { serverMessageCount } from "./helpers/workspace.ts";

const { pki, work, server } = perFileServer();

const env = { APOP_PASSWORD: PASSWORD };

function mboxArgs(user: string, mbox: string, ...more: string[]): string[] {
  return fetchArgs({ port: server.tlsPort, user, ca: pki.caFile }, "--mbox", mbox, ...more);
}

describe("apop fetch into an mbox", () => {
  it("writes mboxrd byte-exact (From lines, >From quoting, separators), then nothing new, then --delete empties the server", async () => {
    const messages = [...TRICKY, bigMessage(1024 * 1024, "1 MiB")];
    const user = work.user(messages);
    const mbox = join(work.dir, `${user.name}.mbox`);

    const first = await runApop(mboxArgs(user.name, mbox), { home: user.home, env });
    expect(first.stderr).toContain(`${messages.length} new messages`);
    expect(first.code).toBe(0);
    expect(readMboxWithoutDates(mbox)).toBe(expectedMbox(messages));
    expect(existsSync(`${mbox}.lock`)).toBe(false);

    const second = await runApop(mboxArgs(user.name, mbox), { home: user.home, env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("no new mail");
    expect(readMboxWithoutDates(mbox)).toBe(expectedMbox(messages));

    const third = await runApop(mboxArgs(user.name, mbox, "--delete"), { home: user.home, env });
    expect(third.code).toBe(0);
    expect(serverMessageCount(user.serverMaildir)).toBe(0);
    expect(readMboxWithoutDates(mbox)).toBe(expectedMbox(messages));
  });

  it("ends an existing mbox's last message properly before appending", async () => {
    const messages = [smallMessage(1)];
    const user = work.user(messages);
    const mbox = join(work.dir, `${user.name}.mbox`);
    const before =
      "From old@example.org Thu Jan  1 00:00:00 2026\nSubject: old\n\nno final newline";
    writeFileSync(mbox, before);
    const result = await runApop(mboxArgs(user.name, mbox), { home: user.home, env });
    expect(result.code).toBe(0);
    expect(readMboxWithoutDates(mbox)).toBe(
      `${before.replace(/Thu.*2026/, "DATE")}\n\n${expectedMbox(messages)}`,
    );
  });

  it("takes over a stale lock left by a dead process, and leaves none behind", async () => {
    const messages = [smallMessage(1)];
    const user = work.user(messages);
    const mbox = join(work.dir, `${user.name}.mbox`);
    // A pid that cannot be running: above the kernel's pid_max.
    writeFileSync(`${mbox}.lock`, `99999999 ${hostname()}\n`);
    const result = await runApop(mboxArgs(user.name, mbox), { home: user.home, env });
    expect(result.code).toBe(0);
    expect(readMboxWithoutDates(mbox)).toBe(expectedMbox(messages));
    expect(existsSync(`${mbox}.lock`)).toBe(false);
  });

  it("truncates the mbox back to its old length when an append fails part-way (file size limit), and loses nothing", async () => {
    const message = bigMessage(60 * 1024, "60 KiB");
    const user = work.user([message]);
    const mbox = join(work.dir, `${user.name}.mbox`);
    // An mbox of 100 KiB under a 128 KiB file size limit (bash `ulimit -f` counts KiB): the
    // 60 KiB message spools fine, then its append stops with EFBIG after 28 KiB.
    const old = `From old@example.org Thu Jan  1 00:00:00 2026\n${"x".repeat(99 * 1024)}\n\n`;
    writeFileSync(mbox, old);
    const failed = await runApop(mboxArgs(user.name, mbox, "--delete"), {
      home: user.home,
      env,
      shellPrefix: "ulimit -f 128;",
    });
    expect(failed.stderr).toMatch(/^apop: cannot append to the mbox .*: file too large\n$/);
    expect(failed.code).toBe(7);
    expect(readFileSync(mbox, "latin1")).toBe(old);
    expect(serverMessageCount(user.serverMaildir)).toBe(1);

    const retried = await runApop(mboxArgs(user.name, mbox, "--delete"), { home: user.home, env });
    expect(retried.code).toBe(0);
    expect(readMboxWithoutDates(mbox)).toBe(
      `${old.replace(/Thu.*2026/, "DATE")}${expectedMbox([message])}`,
    );
    expect(serverMessageCount(user.serverMaildir)).toBe(0);
  });
});
