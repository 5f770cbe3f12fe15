import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { createMaildirStore } from "@apop/maildir";
import { createPop3Server } from "@apop/node";
import { describe, expect, it } from "vitest";
import { maildirProblems } from "./helpers/local-mail.ts";
import { smallMessage } from "./helpers/messages.ts";
import { collect, runApop, spawnApop } from "./helpers/run-apop.ts";
import { PASSWORD, perFileServer } from "./helpers/server.ts";
import { serverMessageCount } from "./helpers/workspace.ts";

const { pki, work, server } = perFileServer();

const env = { APOP_PASSWORD: PASSWORD };
const tlsUrl = (user: string): string => `pop3s://${user}@127.0.0.1:${server.tlsPort}`;

/** One line on stderr, starting `apop: `: no stack trace, no Node noise. */
function oneLine(stderr: string): string {
  expect(stderr).toMatch(/^apop: [^\n]+\n$/);
  return stderr;
}

describe("bad arguments: exit 2", () => {
  it.each([
    [[], "no command given"],
    [["frobnicate", "pop3s://a@b"], "unknown command"],
    [["fetch"], "needs a URL"],
    [["fetch", "pop3s://a@b", "pop3s://c@d"], "takes one URL"],
    [["fetch", "--tls", "maybe", "pop3s://a@b"], "--tls must be implicit, starttls or none"],
    [["fetch", "--port", "0", "pop3s://a@b"], "--port must be"],
    [["fetch", "--keep", "--delete", "pop3s://a@b"], "contradict"],
    [["fetch", "--maildir", "x", "--mbox", "y", "pop3s://a@b"], "contradict"],
    [["list", "--delete", "pop3s://a@b"], "does not take --delete"],
    [["fetch", "--password", "x", "pop3s://a@b"], "Unknown option '--password'"],
    [["fetch", "http://a@b"], "bad URL"],
    [["fetch", "pop://a;AUTH=GSSAPI@b"], "does not support"],
  ])("apop %j", async (args, message) => {
    const result = await runApop(args, { home: work.dir, env });
    expect(oneLine(result.stderr)).toContain(message);
    expect(result.code).toBe(2);
  });

  it("has no password when stdin is not a terminal and nothing else gives one", async () => {
    const user = work.user([]);
    const result = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile], {
      home: user.home,
    });
    expect(oneLine(result.stderr)).toContain("no password");
    expect(result.code).toBe(2);
  });
});

describe("connection failures: exit 3", () => {
  it("unreachable: connection refused", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await runApop(["list", `pop3s://a@127.0.0.1:${port}`], { home: work.dir, env });
    expect(oneLine(result.stderr)).toContain("connection refused");
    expect(result.code).toBe(3);
  });

  it.each(["implicit", "starttls"] as const)(
    "an untrusted certificate without --ca (%s)",
    async (mode) => {
      const user = work.user([]);
      const url =
        mode === "implicit" ? tlsUrl(user.name) : `pop3://${user.name}@127.0.0.1:${server.port}`;
      const result = await runApop(["list", url], { home: user.home, env });
      expect(oneLine(result.stderr)).toContain("certificate is not trusted");
      expect(result.stderr).toContain("--ca");
      expect(result.code).toBe(3);
    },
  );

  it("a server without STLS when pop3:// requires it", async () => {
    const bare = createPop3Server({
      store: createMaildirStore({ root: work.root }),
      authenticator: { lookup: () => ({ kind: "clear", secret: PASSWORD }) },
      serverName: "pop.test",
    });
    const address = await bare.listen({ host: "127.0.0.1", port: 0 });
    try {
      const user = work.user([]);
      const result = await runApop(["list", `pop3://${user.name}@127.0.0.1:${address.port}`], {
        home: user.home,
        env,
      });
      expect(oneLine(result.stderr)).toContain("does not offer STLS");
      expect(result.code).toBe(3);
    } finally {
      await bare.close({ graceMs: 0 });
    }
  });

  it("--insecure connects without a trusted CA, with a loud warning", async () => {
    const user = work.user([smallMessage(1)]);
    const result = await runApop(["list", tlsUrl(user.name), "--insecure"], {
      home: user.home,
      env,
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "apop: warning: WARNING: --insecure: the server's TLS certificate is NOT checked; anyone on the network path can read the password and the mail\n",
    );
  });
});

describe("login failures", () => {
  it("a wrong password is exit 4 and says [AUTH]", async () => {
    const user = work.user([]);
    const result = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile], {
      home: user.home,
      env: { APOP_PASSWORD: "not the password" },
    });
    expect(oneLine(result.stderr)).toContain(
      `login failed for ${user.name} at 127.0.0.1:${server.tlsPort}`,
    );
    expect(result.stderr).toContain("[AUTH]");
    expect(result.code).toBe(4);
  });

  it("refuses to send a password in clear without --allow-plaintext: exit 4", async () => {
    const user = work.user([]);
    const result = await runApop(
      ["list", `pop://${user.name}@127.0.0.1:${server.port}`, "--tls", "none", "--auth", "user"],
      { home: user.home, env },
    );
    expect(oneLine(result.stderr)).toContain("--allow-plaintext");
    expect(result.code).toBe(4);
  });

  it("a held maildrop is exit 5 and says IN-USE, not a password problem", async () => {
    const user = work.user([smallMessage(1)]);
    const held = await server.store.open(user.name);
    try {
      const result = await runApop(
        [
          "fetch",
          tlsUrl(user.name),
          "--ca",
          pki.caFile,
          "--maildir",
          join(work.dir, user.name),
          "--no-retry",
        ],
        {
          home: user.home,
          env,
        },
      );
      expect(oneLine(result.stderr)).toContain("in use by another session");
      expect(result.stderr).toContain("[IN-USE]");
      expect(result.code).toBe(5);
    } finally {
      await held.release();
    }
  });

  it("retries a held maildrop after an announced wait, and succeeds once it is free", async () => {
    const user = work.user([smallMessage(1)]);
    const held = await server.store.open(user.name);
    const child = spawnApop(["list", tlsUrl(user.name), "--ca", pki.caFile, "--retry", "2"], {
      home: user.home,
      env,
    });
    const result = collect(child);
    let stderr = "";
    await new Promise<void>((resolve) => {
      child.stderr?.on("data", (data: Buffer | string) => {
        stderr += data.toString();
        if (stderr.includes("retrying in")) resolve();
      });
    });
    expect(stderr).toMatch(/\[IN-USE\].*; retrying in 2 s \(attempt 2 of 3\)/);
    await held.release();
    const done = await result;
    expect(done.code, done.stderr).toBe(0);
  });

  it("never retries a wrong password ([AUTH])", async () => {
    const user = work.user([]);
    const result = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile, "--retry", "5"], {
      home: user.home,
      env: { APOP_PASSWORD: "wrong" },
    });
    expect(oneLine(result.stderr)).not.toContain("retrying");
    expect(result.code).toBe(4);
  });

  it("--debug adds the stack to the one line", async () => {
    const user = work.user([]);
    const result = await runApop(["list", tlsUrl(user.name), "--ca", pki.caFile, "--debug"], {
      home: user.home,
      env: { APOP_PASSWORD: "wrong" },
    });
    expect(result.code).toBe(4);
    expect(result.stderr.split("\n").length).toBeGreaterThan(3);
    expect(result.stderr).toContain("Pop3Error");
  });
});

describe("local failures", () => {
  it("an unwritable Maildir is exit 7, and nothing is deleted on the server", async () => {
    const user = work.user([smallMessage(1)]);
    const notADirectory = join(work.dir, `${user.name}-file`);
    writeFileSync(notADirectory, "");
    const result = await runApop(
      ["fetch", tlsUrl(user.name), "--ca", pki.caFile, "--maildir", notADirectory, "--delete"],
      {
        home: user.home,
        env,
      },
    );
    expect(oneLine(result.stderr)).toContain(`cannot prepare the Maildir ${notADirectory}`);
    expect(result.code).toBe(7);
    expect(serverMessageCount(user.serverMaildir)).toBe(1);
  });

  it("an unwritable state directory is exit 7", async () => {
    const user = work.user([smallMessage(1)]);
    const notADirectory = join(work.dir, `${user.name}-state`);
    writeFileSync(notADirectory, "");
    const result = await runApop(
      ["fetch", tlsUrl(user.name), "--ca", pki.caFile, "--maildir", join(work.dir, user.name)],
      {
        home: user.home,
        env: { ...env, XDG_STATE_HOME: notADirectory },
      },
    );
    expect(oneLine(result.stderr)).toContain("cannot create the state directory");
    expect(result.code).toBe(7);
  });

  it("a second fetch of the same account while one runs is exit 5", async () => {
    const user = work.user([smallMessage(1)]);
    const stateDir = join(user.home, "state", "apop");
    mkdirSync(stateDir, { recursive: true });
    // This test process is alive: its lock is not stale.
    writeFileSync(
      join(stateDir, `${user.name}@127.0.0.1_${server.tlsPort}.json.lock`),
      `${process.pid} ${hostname()}\n`,
    );
    const result = await runApop(
      ["fetch", tlsUrl(user.name), "--ca", pki.caFile, "--maildir", join(work.dir, user.name)],
      {
        home: user.home,
        env,
      },
    );
    expect(oneLine(result.stderr)).toContain(`is locked by process ${process.pid}`);
    expect(result.code).toBe(5);
  });
});

describe("TLS downgrade (RFC 8314 section 5.2)", () => {
  it("refuses to go without TLS once the account used TLS, on the same port or another, unless told", async () => {
    const messages = [smallMessage(1), smallMessage(2)];
    const user = work.user(messages);
    const local = join(work.dir, `${user.name}-Maildir`);
    const stls = `pop3://${user.name}@127.0.0.1:${server.port}`;
    expect(
      (
        await runApop(["fetch", stls, "--ca", pki.caFile, "--maildir", local], {
          home: user.home,
          env,
        })
      ).code,
    ).toBe(0);

    for (const url of [stls, `pop://${user.name}@127.0.0.1:${server.tlsPort}`]) {
      const refused = await runApop(["fetch", url, "--tls", "none", "--maildir", local], {
        home: user.home,
        env,
      });
      expect(oneLine(refused.stderr)).toContain("refusing to connect without TLS");
      expect(refused.code).toBe(3);
    }
    const checked = await runApop(["check", stls, "--tls", "none"], { home: user.home, env });
    expect(checked.code).toBe(3);

    const allowed = await runApop(
      ["fetch", stls, "--tls", "none", "--allow-insecure-downgrade", "--maildir", local],
      {
        home: user.home,
        env,
      },
    );
    expect(allowed.stderr).toContain("has used TLS before");
    expect(allowed.code).toBe(0);
    expect(maildirProblems(local, messages)).toEqual([]);
    const state = JSON.parse(
      readFileSync(
        join(user.home, "state", "apop", `${user.name}@127.0.0.1_${server.port}.json`),
        "utf8",
      ),
    ) as { tls: boolean };
    expect(state.tls).toBe(true);
  });

  it("a list over TLS latches the account too: check and list then refuse --tls none", async () => {
    const user = work.user([smallMessage(1)]);
    const stls = `pop3://${user.name}@127.0.0.1:${server.port}`;
    const listed = await runApop(["list", stls, "--ca", pki.caFile], { home: user.home, env });
    expect(listed.code, listed.stderr).toBe(0);
    for (const command of ["list", "check"]) {
      const refused = await runApop([command, stls, "--tls", "none"], { home: user.home, env });
      expect(oneLine(refused.stderr)).toContain("refusing to connect without TLS");
      expect(refused.code).toBe(3);
    }
  });
});
