/**
 * `Pop3Client.topEach` against a scripted server on an in-memory link: the test plays the
 * server, so it sees exactly which commands are on the wire before each reply (RFC 2449
 * section 6.6: pipelined only when PIPELINING is listed, and then at most `window` at once).
 */
import { describe, expect, it } from "vitest";
import { LocalProtocolError, Pop3Client, Pop3Error, type TopResult } from "../src/index.ts";
import { realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink, type MemoryTransport } from "./helpers/memory-link.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** The server end: every command line the client sent so far, and a way to answer. */
class ScriptedServer {
  readonly lines: string[] = [];
  #buffer = "";
  readonly #transport: MemoryTransport;

  constructor(transport: MemoryTransport) {
    this.#transport = transport;
    void this.#pump();
  }

  async #pump(): Promise<void> {
    for (let chunk = await this.#transport.read(); chunk !== null; ) {
      this.#buffer += text(chunk);
      const parts = this.#buffer.split("\r\n");
      this.#buffer = parts.pop() ?? "";
      this.lines.push(...parts);
      chunk = await this.#transport.read();
    }
  }

  send(reply: string): Promise<void> {
    return this.#transport.write(ascii(reply));
  }

  /** Waits until `count` lines have arrived (and lets any extra ones arrive too). */
  async received(count: number): Promise<string[]> {
    for (let i = 0; this.lines.length < count; i++) {
      if (i > 1000) throw new Error(`only ${this.lines.length} of ${count} lines arrived`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.lines;
  }
}

/**
 * Greets, answers USER/PASS and, unless `capabilities` is null, CAPA; leaves the client
 * logged in and the server's record of lines empty.
 */
async function loggedIn(capabilities: string[] | null): Promise<{
  client: Pop3Client;
  server: ScriptedServer;
}> {
  const link = createMemoryLink();
  const server = new ScriptedServer(link.server);
  await server.send("+OK ready\r\n");
  const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
  const login = client.user("alice", "secret");
  await server.received(1);
  await server.send("+OK\r\n");
  await server.received(2);
  await server.send("+OK logged in\r\n");
  await login;
  if (capabilities !== null) {
    const capa = client.capa();
    await server.received(3);
    await server.send(`+OK\r\n${capabilities.map((line) => `${line}\r\n`).join("")}.\r\n`);
    await capa;
  }
  server.lines.splice(0);
  return { client, server };
}

const headers = (n: number): string => `+OK\r\nSubject: ${n}\r\n..dot\r\n\r\n.\r\n`;

describe("Pop3Client.topEach", () => {
  it("keeps `window` TOPs on the wire when the server lists PIPELINING, and yields in order", async () => {
    const { client, server } = await loggedIn(["TOP", "PIPELINING"]);
    const results = client.topEach({ messages: [5, 4, 3, 2, 1], lines: 0, window: 3 });
    const iterator = results[Symbol.asyncIterator]();
    const first = iterator.next();
    expect(await server.received(3)).toEqual(["TOP 5 0", "TOP 4 0", "TOP 3 0"]);
    await server.send(headers(5));
    expect((await first).value).toEqual({ message: 5, data: ascii("Subject: 5\r\n.dot\r\n\r\n") });
    const second = iterator.next();
    // One of three answered: nothing more goes out until half the window is answered.
    expect(await server.received(3)).toHaveLength(3);
    await server.send("-ERR [SYS/PERM] no such message\r\n");
    const failed = (await second).value as TopResult;
    expect(failed.message).toBe(4);
    expect(Pop3Error.isInstance(failed.error)).toBe(true);
    expect(failed.error?.serverText).toBe("no such message");
    // Two answered: the window is topped up to three unanswered, never more.
    const rest = (async () => {
      const seen: TopResult[] = [];
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
        seen.push(next.value);
      }
      return seen;
    })();
    expect(await server.received(5)).toEqual([
      "TOP 5 0",
      "TOP 4 0",
      "TOP 3 0",
      "TOP 2 0",
      "TOP 1 0",
    ]);
    for (const n of [3, 2, 1]) await server.send(headers(n));
    expect((await rest).map((result) => result.message)).toEqual([3, 2, 1]);
    expect(server.lines).toHaveLength(5);
  });

  it("asks for CAPA itself, and sends one TOP at a time when PIPELINING is not listed", async () => {
    const { client, server } = await loggedIn(null);
    const collected = (async () => {
      const seen: number[] = [];
      for await (const result of client.topEach({ messages: [1, 2, 3], lines: 2 })) {
        seen.push(result.message);
      }
      return seen;
    })();
    expect(await server.received(1)).toEqual(["CAPA"]);
    await server.send("+OK\r\nTOP\r\nUIDL\r\n.\r\n");
    for (const n of [1, 2, 3]) {
      expect((await server.received(1 + n)).slice(1)).toHaveLength(n);
      expect(server.lines.at(-1)).toBe(`TOP ${n} 2`);
      await server.send(headers(n));
    }
    expect(await collected).toEqual([1, 2, 3]);
    expect(server.lines).toHaveLength(4);
  });

  it("stopping early reads the replies still on the wire, so the next command lines up", async () => {
    const { client, server } = await loggedIn(["PIPELINING"]);
    let seen = 0;
    const loop = (async () => {
      for await (const result of client.topEach({ messages: [1, 2, 3, 4], lines: 0, window: 3 })) {
        seen = result.message;
        break;
      }
    })();
    await server.received(3);
    const noop = client.noop();
    await server.send(headers(1));
    await server.send(headers(2));
    // TOP 3 is still unanswered: the NOOP waits behind it, and no TOP 4 is sent.
    expect(await server.received(3)).toEqual(["TOP 1 0", "TOP 2 0", "TOP 3 0"]);
    await server.send(headers(3));
    expect(await server.received(4)).toEqual(["TOP 1 0", "TOP 2 0", "TOP 3 0", "NOOP"]);
    await server.send("+OK\r\n");
    await noop;
    await loop;
    expect(seen).toBe(1);
  });

  it("refuses a bad message number, lines or window before sending anything", async () => {
    const { client, server } = await loggedIn(["PIPELINING"]);
    for (const options of [
      { messages: [1, 0], lines: 0 },
      { messages: [1], lines: -1 },
      { messages: [1], lines: 0, window: 0 },
    ]) {
      const iterator = client.topEach(options)[Symbol.asyncIterator]();
      await expect(iterator.next()).rejects.toThrow(LocalProtocolError);
    }
    const noop = client.noop();
    expect(await server.received(1)).toEqual(["NOOP"]);
    await server.send("+OK\r\n");
    await noop;
  });
});
