/**
 * `apop fetch` and `apop list` against servers that misbehave on purpose: raw TCP peers that
 * cut a message short, lie about sizes, repeat UIDs, end a message with a bare LF, or stall.
 * What must hold for mail: nothing partial is ever stored as a message, nothing is deleted
 * on the server that is not safely local, and every failure is one line and an exit code.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runApop } from "./helpers/run-apop.ts";

let dir: string;
let count = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "apop-hostile-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Message {
  readonly uid: string;
  /** What LIST says. */
  readonly size?: number;
  /** The wire form of the RETR reply after the `+OK` line, terminator included. */
  readonly retr: string;
}

/** A stuffed, terminated RETR body for `text` (CRLF lines). */
const body = (text: string): string =>
  `${text
    .split("\r\n")
    .map((line) => (line.startsWith(".") ? `.${line}` : line))
    .join("\r\n")}.\r\n`;

interface Scripted {
  readonly port: number;
  /** Every command line received, in order. */
  readonly lines: string[];
  close(): Promise<void>;
}

const servers: Scripted[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/**
 * A POP3 server with no protocol code: answers USER/PASS/STAT/LIST/UIDL/DELE/RSET/QUIT for
 * `messages`; RETR n writes `retr` as given (or calls `onRetr`, which may do anything).
 */
async function scriptedServer(
  messages: readonly Message[],
  options: {
    onRetr?: (socket: net.Socket, n: number) => void;
    list?: string;
    uidl?: string;
  } = {},
): Promise<Scripted> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.write("+OK hostile test server\r\n");
    let buffered = "";
    socket.on("data", (data) => {
      buffered += data.toString("latin1");
      for (let end = buffered.indexOf("\r\n"); end !== -1; end = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        lines.push(line);
        const [keyword = "", arg] = line.split(" ");
        const n = Number(arg);
        const message = messages[n - 1];
        switch (keyword.toUpperCase()) {
          case "CAPA":
            socket.write("+OK\r\nUSER\r\nUIDL\r\nTOP\r\n.\r\n");
            break;
          case "LIST":
            socket.write(
              options.list ??
                `+OK\r\n${messages.map((m, i) => `${i + 1} ${m.size ?? m.retr.length}\r\n`).join("")}.\r\n`,
            );
            break;
          case "UIDL":
            socket.write(
              options.uidl ??
                `+OK\r\n${messages.map((m, i) => `${i + 1} ${m.uid}\r\n`).join("")}.\r\n`,
            );
            break;
          case "RETR":
            if (options.onRetr !== undefined) options.onRetr(socket, n);
            else
              socket.write(
                message === undefined ? "-ERR no such message\r\n" : `+OK\r\n${message.retr}`,
              );
            break;
          case "QUIT":
            socket.end("+OK bye\r\n");
            break;
          default:
            socket.write("+OK\r\n");
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const scripted: Scripted = {
    port: (server.address() as net.AddressInfo).port,
    lines,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(scripted);
  return scripted;
}

/** Runs `apop <command>` against the scripted server, into a fresh Maildir. */
async function apop(server: Scripted, command: string, extra: readonly string[] = []) {
  const home = join(dir, `home-${++count}`);
  const maildir = join(dir, `maildir-${count}`);
  const result = await runApop(
    [
      command,
      `pop://alice@127.0.0.1:${server.port}`,
      "--tls",
      "none",
      "--auth",
      "user",
      "--allow-plaintext",
      ...(command === "fetch" ? ["--maildir", maildir] : []),
      ...extra,
    ],
    { home, env: { APOP_PASSWORD: "secret" } },
  );
  return { ...result, home, maildir };
}

/** The files apop stored in a Maildir: new/ and cur/ contents, and what is left in tmp/. */
function stored(maildir: string): { messages: string[]; tmp: string[] } {
  const read = (sub: string): string[] =>
    existsSync(join(maildir, sub)) ? readdirSync(join(maildir, sub)) : [];
  return {
    messages: [...read("new"), ...read("cur")]
      .map((name) =>
        readFileSync(
          join(maildir, existsSync(join(maildir, "new", name)) ? "new" : "cur", name),
          "latin1",
        ),
      )
      .sort(),
    tmp: read("tmp"),
  };
}

/** A RETR reply that never ends: 1 KiB lines as fast as the client reads them. */
function streamWithoutEnd(socket: net.Socket): void {
  socket.write("+OK\r\n");
  const line = Buffer.from(`${"x".repeat(1022)}\r\n`.repeat(64));
  const pump = (): void => {
    while (!socket.destroyed && socket.write(line)) {}
    if (!socket.destroyed) socket.once("drain", pump);
  };
  pump();
}

const deleCommands = (server: Scripted): string[] =>
  server.lines.filter((l) => l.startsWith("DELE"));

describe("a message cut short", () => {
  it("the server closes mid-RETR: no partial message stored, nothing deleted, exit 3", async () => {
    const whole = "Subject: one\r\n\r\nfirst\r\n";
    const server = await scriptedServer(
      [
        { uid: "u1", retr: body(whole) },
        { uid: "u2", retr: body("Subject: two\r\n\r\nsecond\r\n") },
      ],
      {
        onRetr: (socket, n) => {
          if (n === 1) socket.write(`+OK\r\n${body(whole)}`);
          else socket.end("+OK\r\nSubject: two\r\n\r\nhalf of the sec");
        },
      },
    );
    const result = await apop(server, "fetch", ["--delete"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^apop: [^\n]+\n$/);
    expect(stored(result.maildir)).toEqual({ messages: ["Subject: one\n\nfirst\n"], tmp: [] });
    // DELE 1 may have been sent, but QUIT never was: the server applies nothing (RFC 1939 section 6).
    expect(server.lines).not.toContain("QUIT");
    expect(deleCommands(server).every((line) => line === "DELE 1")).toBe(true);
  });

  it("a bare-LF terminator is no end: the fetch times out, stores nothing, deletes nothing", async () => {
    const server = await scriptedServer([{ uid: "u1", retr: "Subject: lf\n\nbody\n.\n" }]);
    const result = await apop(server, "fetch", ["--delete", "--timeout", "1"]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain("no reply from the server");
    expect(stored(result.maildir)).toEqual({ messages: [], tmp: [] });
    expect(deleCommands(server)).toEqual([]);
    expect(server.lines).not.toContain("QUIT");
  });

  it("a stall mid-message: timeout, nothing stored, nothing deleted", async () => {
    const server = await scriptedServer([], {
      list: "+OK\r\n1 100\r\n.\r\n",
      uidl: "+OK\r\n1 u1\r\n.\r\n",
      onRetr: (socket) => socket.write("+OK\r\nSubject: stall\r\n\r\nand then noth"),
    });
    const result = await apop(server, "fetch", ["--delete", "--timeout", "1"]);
    expect(result.code).toBe(3);
    expect(stored(result.maildir)).toEqual({ messages: [], tmp: [] });
    expect(deleCommands(server)).toEqual([]);
  });
});

describe("sizes that lie", () => {
  it("LIST says 100 octets, RETR never ends: stopped well before the disk fills, nothing kept or deleted", async () => {
    const server = await scriptedServer([], {
      list: "+OK\r\n1 100\r\n.\r\n",
      uidl: "+OK\r\n1 endless\r\n.\r\n",
      onRetr: streamWithoutEnd,
    });
    const result = await apop(server, "fetch", ["--delete"]);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(
      /^apop: [^\n]* sent more than 1048776 octets for message 1, which LIST gave as 100 octets[^\n]*\n$/,
    );
    expect(stored(result.maildir)).toEqual({ messages: [], tmp: [] });
    expect(deleCommands(server)).toEqual([]);
  });

  it("--max-message-size caps a RETR whatever LIST said: cut off there, nothing kept or deleted", async () => {
    const server = await scriptedServer([], {
      list: "+OK\r\n1 10000\r\n.\r\n",
      uidl: "+OK\r\n1 endless\r\n.\r\n",
      onRetr: streamWithoutEnd,
    });
    const result = await apop(server, "fetch", ["--delete", "--max-message-size", "64K"]);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(
      /sent more than 65536 octets for message 1, which LIST gave as 10000/,
    );
    expect(stored(result.maildir)).toEqual({ messages: [], tmp: [] });
    expect(deleCommands(server)).toEqual([]);
  });

  it("a message announced over --max-message-size (default 100 MiB) is left on the server, the rest fetched", async () => {
    const small = "Subject: small\r\n\r\nfits\r\n";
    const server = await scriptedServer([
      { uid: "huge", size: 10 ** 12, retr: body("Subject: huge\r\n\r\nclaims a terabyte\r\n") },
      { uid: "small", retr: body(small) },
    ]);
    const result = await apop(server, "fetch", ["--delete"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /message 1 is [^\n]*, over --max-message-size 100\.0 MiB; left on the server/,
    );
    expect(stored(result.maildir)).toEqual({ messages: [small.replaceAll("\r\n", "\n")], tmp: [] });
    expect(server.lines.filter((l) => l.startsWith("RETR"))).toEqual(["RETR 2"]);
    expect(deleCommands(server)).toEqual(["DELE 2"]);
  });

  it("a message larger than the free space is not fetched: exit 7 before RETR, nothing deleted", async () => {
    // 16 TiB: more than any test machine's disk, and under a --max-message-size raised to 32 TiB.
    const server = await scriptedServer([
      { uid: "big", size: 2 ** 44, retr: body("Subject: big\r\n\r\nsmall after all\r\n") },
    ]);
    const result = await apop(server, "fetch", ["--delete", "--max-message-size", `${2 ** 15}G`]);
    expect(result.code).toBe(7);
    expect(result.stderr).toMatch(
      /^apop: not enough free space in [^\n]*tmp: the next message needs [^\n]*\n$/,
    );
    expect(server.lines.filter((l) => l.startsWith("RETR"))).toEqual([]);
    expect(deleCommands(server)).toEqual([]);
    expect(stored(result.maildir)).toEqual({ messages: [], tmp: [] });
  });

  it("a message somewhat larger than LIST said (bare LFs counted once) is still fetched", async () => {
    const text = `Subject: lf\r\n\r\n${"\r\n".repeat(1000)}`;
    const server = await scriptedServer([{ uid: "u1", size: 1017, retr: body(text) }]);
    const result = await apop(server, "fetch");
    expect(result.code).toBe(0);
    expect(stored(result.maildir).messages).toEqual([text.replaceAll("\r\n", "\n")]);
  });
});

describe("listings that do not add up", () => {
  it("duplicate UIDs: both messages are fetched, none is taken for the other, and --delete loses nothing", async () => {
    const server = await scriptedServer([
      { uid: "same", retr: body("Subject: first\r\n\r\n1\r\n") },
      { uid: "same", retr: body("Subject: second\r\n\r\n2\r\n") },
      { uid: "other", retr: body("Subject: third\r\n\r\n3\r\n") },
    ]);
    const result = await apop(server, "fetch", ["--delete"]);
    const { messages } = stored(result.maildir);
    // Every message deleted on the server is one that was stored here.
    for (const dele of deleCommands(server)) {
      const n = Number(dele.split(" ")[1]);
      expect(messages).toContain(
        ["Subject: first\n\n1\n", "Subject: second\n\n2\n", "Subject: third\n\n3\n"][n - 1],
      );
    }
    expect(messages).toEqual([
      "Subject: first\n\n1\n",
      "Subject: second\n\n2\n",
      "Subject: third\n\n3\n",
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('the same UIDL unique-id "same" to messages 1, 2');
  });

  it("duplicate UIDs with --keep: refused (exit 6), nothing stored, instead of a fetch loop", async () => {
    const server = await scriptedServer([
      { uid: "same", retr: body("Subject: first\r\n\r\n1\r\n") },
      { uid: "same", retr: body("Subject: second\r\n\r\n2\r\n") },
    ]);
    const result = await apop(server, "fetch");
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^apop: [^\n]*same[^\n]*\n$/);
    expect(stored(result.maildir)).toEqual({ messages: [], tmp: [] });
  });

  it("UIDs over 70 characters, and a LIST out of order: each message fetched once, not again next run", async () => {
    const long = `L${"x".repeat(199)}`;
    const server = await scriptedServer([], {
      list: "+OK\r\n2 20\r\n1 20\r\n.\r\n",
      uidl: `+OK\r\n2 ${long}\r\n1 short extra words\r\n.\r\n`,
      onRetr: (socket, n) => socket.write(`+OK\r\n${body(`Subject: m${n}\r\n\r\nbody\r\n`)}`),
    });
    const first = await apop(server, "fetch");
    expect(first.code).toBe(0);
    expect(stored(first.maildir).messages).toEqual([
      "Subject: m1\n\nbody\n",
      "Subject: m2\n\nbody\n",
    ]);
    const again = await runApop(
      [
        "fetch",
        `pop://alice@127.0.0.1:${server.port}`,
        "--tls",
        "none",
        "--auth",
        "user",
        "--allow-plaintext",
        "--maildir",
        first.maildir,
      ],
      { home: first.home, env: { APOP_PASSWORD: "secret" } },
    );
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("no new mail");
    expect(server.lines.filter((l) => l.startsWith("RETR"))).toHaveLength(2);
  });
});
