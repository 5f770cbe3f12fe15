import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** A message as stored in the Maildir, and the exact bytes a client must receive. */
export interface FixtureMessage {
  readonly name: string;
  readonly stored: Buffer;
  readonly arrives: Buffer;
}

const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");

/**
 * Messages that trip dot-stuffing and 8-bit handling (RFC 1939 section 3). Stored
 * with CRLF they arrive unchanged; the LF one (as MTAs write Maildirs) arrives with CRLF
 * (RFC 1939 section 3).
 */
export const MESSAGES: readonly FixtureMessage[] = [
  {
    name: "plain",
    stored: latin1("Subject: plain\r\n\r\nHello.\r\n"),
    arrives: latin1("Subject: plain\r\n\r\nHello.\r\n"),
  },
  {
    name: "dots",
    stored: latin1("Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n. \r\nend\r\n.\r\n"),
    arrives: latin1("Subject: dots\r\n\r\n.\r\n..\r\n.x\r\n. \r\nend\r\n.\r\n"),
  },
  {
    name: "8-bit",
    stored: Buffer.concat([
      Buffer.from("Subject: Grüße 🎉\r\n\r\nこんにちは\r\n", "utf8"),
      latin1("\xe9t\xe9 \xff\x80\x7f\r\n"),
    ]),
    arrives: Buffer.concat([
      Buffer.from("Subject: Grüße 🎉\r\n\r\nこんにちは\r\n", "utf8"),
      latin1("\xe9t\xe9 \xff\x80\x7f\r\n"),
    ]),
  },
  {
    name: "LF line ends",
    stored: latin1("Subject: lf\n\n.dot\nlast\n"),
    arrives: latin1("Subject: lf\r\n\r\n.dot\r\nlast\r\n"),
  },
];

export interface Fixture {
  readonly dir: string;
  readonly maildirRoot: string;
  readonly usersFile: string;
  /** Writes the users file (mode 0600). */
  writeUsers(lines: readonly string[]): void;
  /** Creates `<root>/<user>/{cur,new,tmp}` holding `messages` in `new/`, in order. */
  addMaildir(user: string, messages?: readonly FixtureMessage[]): string;
  /** Writes `server.json` and returns its path. */
  writeConfig(config: unknown, name?: string): string;
  /**
   * Writes a config file for a test server on this fixture and returns its path: plain POP3 on
   * 127.0.0.1 at an ephemeral port, `users` and `mail` of this folder, no failure delay and a
   * one-second shutdown grace (a test that fails with a session open must not hold `afterAll`
   * for the default 30 s), with `extra` laid over it.
   */
  writeServerConfig(extra?: Record<string, unknown>, name?: string): string;
  /**
   * The flags of a server on this fixture: plain POP3 on 127.0.0.1 at an ephemeral port, the
   * users file and the Maildir root; a test adds what it is about.
   */
  serverArgs(): string[];
  cleanup(): void;
}

export function createFixture(): Fixture {
  const dir = mkdtempSync(path.join(tmpdir(), "apop-server-test-"));
  const maildirRoot = path.join(dir, "mail");
  mkdirSync(maildirRoot);
  const usersFile = path.join(dir, "users");
  return {
    dir,
    maildirRoot,
    usersFile,
    writeUsers(lines) {
      writeFileSync(usersFile, `${lines.join("\n")}\n`, { mode: 0o600 });
      chmodSync(usersFile, 0o600);
    },
    addMaildir(user, messages = MESSAGES) {
      const maildir = path.join(maildirRoot, user);
      for (const sub of ["cur", "new", "tmp"])
        mkdirSync(path.join(maildir, sub), { recursive: true });
      messages.forEach((message, i) => {
        writeFileSync(
          path.join(maildir, "new", `${1_700_000_000 + i}.M${i}P1.test`),
          message.stored,
        );
      });
      return maildir;
    },
    serverArgs() {
      return ["--listen", "127.0.0.1:0", "--users", usersFile, "--maildir-root", maildirRoot];
    },
    writeServerConfig(extra = {}, name) {
      return this.writeConfig(
        {
          listen: "127.0.0.1:0",
          users: "users",
          maildirRoot: "mail",
          limits: { authFailureDelaySeconds: 0 },
          shutdownGraceSeconds: 1,
          ...extra,
        },
        name,
      );
    },
    writeConfig(config, name = "server.json") {
      const file = path.join(dir, name);
      writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2));
      return file;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
