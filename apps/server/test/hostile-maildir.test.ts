/**
 * The built apop-server over a Maildir that is raced for, changed behind its back, or holds
 * odd files and odd mail (RFC 1939 sections 3 and 8): what a client receives must be the
 * stored bytes exactly, LIST sizes must match RETR, one maildrop has one session at a time,
 * and nothing outside the Maildir is ever served.
 */
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import path from "node:path";
import { apopDigest, type Pop3Client } from "@apop/core";
import { connect } from "@apop/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const SECRET = "wonderland";
const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");

let fixture: Fixture;
let server: ServerProcess;

beforeAll(async () => {
  fixture = createFixture();
  const users = ["alice", "racer", "odd", "big"];
  fixture.writeUsers(users.map((user) => `${user}:{PLAIN}${SECRET}`));
  for (const user of users) fixture.addMaildir(user, []);
  const config = fixture.writeServerConfig();
  server = await ServerProcess.start(["--config", config]);
});

afterAll(async () => {
  await server?.stop();
  fixture?.cleanup();
});

const port = (): number => server.port("none");

/** A raw connection: the greeting's APOP timestamp, and lines as they come. */
async function rawSession(): Promise<{
  timestamp: string;
  send(text: string): void;
  line(): Promise<string>;
  close(): void;
}> {
  const socket = net.connect({ host: "127.0.0.1", port: port() });
  socket.on("error", () => {});
  let buffered = "";
  let wake: (() => void) | null = null;
  socket.on("data", (data) => {
    buffered += data.toString("latin1");
    wake?.();
  });
  socket.on("close", () => wake?.());
  const line = async (): Promise<string> => {
    for (;;) {
      const end = buffered.indexOf("\r\n");
      if (end !== -1) {
        const found = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        return found;
      }
      if (socket.destroyed) return "(closed)";
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  const greeting = await line();
  const timestamp = /<[^>]+>/.exec(greeting)?.[0] ?? "";
  return {
    timestamp,
    send: (text) => socket.write(text),
    line,
    close: () => socket.destroy(),
  };
}

async function login(user: string): Promise<Pop3Client> {
  const client = await connect({ host: "127.0.0.1", port: port(), tls: "none" });
  await client.apop(user, SECRET);
  return client;
}

describe("one maildrop, one session (RFC 1939 section 4)", () => {
  it("two logins at the same instant: exactly one gets the maildrop, the other [IN-USE]", async () => {
    for (let round = 0; round < 10; round++) {
      const [a, b] = await Promise.all([rawSession(), rawSession()]);
      if (a === undefined || b === undefined) throw new Error("no session");
      a.send(`APOP racer ${apopDigest({ timestamp: a.timestamp, secret: SECRET })}\r\n`);
      b.send(`APOP racer ${apopDigest({ timestamp: b.timestamp, secret: SECRET })}\r\n`);
      const replies = await Promise.all([a.line(), b.line()]);
      expect(replies.filter((r) => r.startsWith("+OK"))).toHaveLength(1);
      expect(replies.filter((r) => r.startsWith("-ERR [IN-USE]"))).toHaveLength(1);
      a.send("QUIT\r\n");
      b.send("QUIT\r\n");
      await Promise.all([a.line(), b.line()]);
      a.close();
      b.close();
    }
  });
});

describe("a Maildir changed behind the server's back", () => {
  it("a DELE'd message removed by someone else before QUIT: +OK, and the other deletes applied", async () => {
    const maildir = fixture.addMaildir("alice", []);
    const names = ["1700000001.a.host", "1700000002.b.host", "1700000003.c.host"];
    for (const name of names)
      writeFileSync(path.join(maildir, "new", name), `Subject: ${name}\n\nx\n`);
    const client = await login("alice");
    await client.dele(1);
    await client.dele(2);
    rmSync(path.join(maildir, "new", names[0] as string));
    await client.quit();
    expect(readdirSync(path.join(maildir, "new"))).toEqual([names[2]]);
  });
});

describe("odd files and odd mail, end to end", () => {
  const odd: { name: string | Buffer; stored: Buffer }[] = [
    { name: "1700000001.nul.host", stored: latin1("Subject: nul\n\na\0b\n") },
    { name: "1700000002.lone-cr.host", stored: latin1("Subject: cr\n\nends in CR\r") },
    { name: "1700000003.crcrlf.host", stored: latin1("Subject: crcrlf\r\r\n\r\nx\r\r\n") },
    { name: "1700000004.dot-eof.host", stored: latin1("Subject: dot\n\nlast line is a dot\n.") },
    { name: "1700000005.empty.host", stored: latin1("") },
    { name: "1700000006.with space.host", stored: latin1("Subject: space\n\n.\n..\n") },
    {
      name: Buffer.concat([latin1("1700000007.caf"), Buffer.of(0xe9), latin1(".host")]),
      stored: latin1("Subject: latin-1 file name\n\nbody\n"),
    },
  ];

  /** What RFC 1939 section 3 says arrives: CRLF line ends, a CRLF closing an open last line. */
  const arrives = (stored: Buffer): Buffer => {
    const text = stored.toString("latin1").replaceAll(/\r?\n/g, "\r\n");
    return latin1(text === "" || text.endsWith("\r\n") ? text : `${text}\r\n`);
  };

  it("serves each message byte for byte with LIST sizes that match, and never a symlink", async () => {
    const maildir = fixture.addMaildir("odd", []);
    for (const { name, stored } of odd) {
      const file =
        typeof name === "string"
          ? path.join(maildir, "new", name)
          : Buffer.concat([latin1(`${path.join(maildir, "new")}/`), name]);
      writeFileSync(file, stored);
    }
    mkdirSync(path.join(maildir, "new", "1700000008.directory.host"));
    symlinkSync(fixture.usersFile, path.join(maildir, "cur", "1700000009.users.host:2,S"));
    const client = await login("odd");
    const listing = await client.list();
    expect(listing).toHaveLength(odd.length);
    for (const [i, message] of odd.entries()) {
      const received = Buffer.from(await client.retrBytes(i + 1));
      expect(received, String(message.name)).toEqual(arrives(message.stored));
      const added = message.stored.length === 0 || message.stored.at(-1) === 0x0a ? 0 : 2;
      expect(listing[i]?.size, String(message.name)).toBe(received.length - added);
      expect(received.toString("latin1")).not.toContain("wonderland");
    }
    const uids = await client.uidl();
    expect(new Set(uids.map((u) => u.uid)).size).toBe(odd.length);
    await client.quit();
  });

  it("50 MiB without a newline: LIST says 50 MiB, RETR sends it plus the closing CRLF", async () => {
    const maildir = fixture.addMaildir("big", []);
    const size = 50 * 1024 * 1024;
    writeFileSync(path.join(maildir, "new", "1700000010.big.host"), Buffer.alloc(size, "y"));
    const client = await login("big");
    expect(await client.list(1)).toEqual({ message: 1, size });
    let octets = 0;
    let tail = "";
    for await (const chunk of client.retr(1)) {
      octets += chunk.length;
      tail = (tail + Buffer.from(chunk.subarray(-4)).toString("latin1")).slice(-4);
    }
    expect(octets).toBe(size + 2);
    expect(tail).toBe("yy\r\n");
    await client.quit();
  });
});
