/**
 * RFC example sessions kept as plain `C:`/`S:` transcript files, replayed against core's
 * sessions. Runtime-neutral (no Node APIs, no test framework): vitest replays them against the
 * source, Deno and Bun against the built package (test/deno/, test/bun/).
 *
 * File format:
 * - `# ...` comment; blank lines are ignored.
 * - `@ timestamp <...>`: the APOP timestamp the server puts in its greeting.
 * - `@ user NAME SECRET`: an account (clear secret).
 * - `@ message SIZE [UID]`: a fixture message of exactly SIZE octets (as sent), in order.
 * - `@ plaintext allowed`: USER/PASS allowed without TLS.
 * - `@ client only`: the server lines are another server's; replay the client side only.
 * - `C: line` a client line; `S: line` a server line. `S: <message N>` stands for the whole
 *   fixture message N, `S: <top N L>` for what TOP N L sends.
 *
 * What is compared (the RFC fixes some text and not the rest): the status indicator of every
 * status line; the whole text of the one-line replies to STAT, LIST n and UIDL n (their
 * numbers are fixed by RFC 1939 section 5 and 7); every line of a multi-line block exactly.
 */
import type * as Core from "../../src/index.ts";

type CoreModule = typeof Core;

export interface Transcript {
  readonly name: string;
  readonly timestamp: string | null;
  readonly users: ReadonlyMap<string, string>;
  readonly messages: readonly { readonly bytes: Uint8Array; readonly uid: string }[];
  readonly plaintextAllowed: boolean;
  readonly clientOnly: boolean;
  /** The exchanges in order; the first has no client line (the greeting). */
  readonly exchanges: readonly {
    readonly client: string | null;
    readonly server: readonly string[];
  }[];
}

export function parseTranscript(name: string, text: string): Transcript {
  let timestamp: string | null = null;
  const users = new Map<string, string>();
  const messages: { bytes: Uint8Array; uid: string }[] = [];
  let plaintextAllowed = false;
  let clientOnly = false;
  const exchanges: { client: string | null; server: string[] }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("@ ")) {
      const [directive, ...args] = line.slice(2).split(" ");
      if (directive === "timestamp") timestamp = args.join(" ");
      else if (directive === "user") users.set(args[0] as string, args[1] as string);
      else if (directive === "message") {
        const size = Number(args[0]);
        messages.push({
          bytes: fixtureMessage(messages.length + 1, size),
          uid: args[1] ?? `fixture-${messages.length + 1}`,
        });
      } else if (line === "@ plaintext allowed") plaintextAllowed = true;
      else if (line === "@ client only") clientOnly = true;
      else throw new Error(`${name}: unknown directive: ${line}`);
      continue;
    }
    if (line.startsWith("C: ")) {
      exchanges.push({ client: line.slice(3), server: [] });
    } else if (line.startsWith("S: ")) {
      if (exchanges.length === 0) exchanges.push({ client: null, server: [] });
      (exchanges.at(-1) as { server: string[] }).server.push(line.slice(3));
    } else {
      throw new Error(`${name}: not a transcript line: ${line}`);
    }
  }
  return { name, timestamp, users, messages, plaintextAllowed, clientOnly, exchanges };
}

/**
 * A deterministic message of exactly `size` octets as sent (CRLF lines): two header lines, a
 * blank line, then body lines, the last one padded to fit. Small sizes shorten the headers.
 */
export function fixtureMessage(number: number, size: number): Uint8Array {
  let text = `Subject: fixture ${number}\r\n\r\n`;
  for (let line = 1; text.length < size; line++) text += `line ${line} of message ${number}\r\n`;
  text = text.slice(0, size);
  if (size >= 2 && !text.endsWith("\r\n")) text = `${text.slice(0, size - 2)}\r\n`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** What TOP sends of a CRLF message: the headers, the blank line, and `lines` body lines. */
export function topOf(message: Uint8Array, lines: number): Uint8Array {
  const text = latin1(message);
  const split = text.indexOf("\r\n\r\n");
  if (split === -1) return message;
  const body = text.slice(split + 4).split("\r\n");
  if (body.at(-1) === "") body.pop();
  const kept = body
    .slice(0, lines)
    .map((line) => `${line}\r\n`)
    .join("");
  return ascii(text.slice(0, split + 4) + kept);
}

/** The server bytes a transcript expects, with placeholders expanded and dots stuffed. */
function expandServerLines(transcript: Transcript, lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const message = /^<message (\d+)>$/.exec(line);
    const top = /^<top (\d+) (\d+)>$/.exec(line);
    let block: Uint8Array | null = null;
    if (message) block = transcript.messages[Number(message[1]) - 1]?.bytes ?? null;
    if (top) {
      const source = transcript.messages[Number(top[1]) - 1]?.bytes;
      block = source === undefined ? null : topOf(source, Number(top[2]));
    }
    if (block === null) {
      out.push(line);
      continue;
    }
    const blockLines = latin1(block).split("\r\n");
    if (blockLines.at(-1) === "") blockLines.pop();
    for (const blockLine of blockLines)
      out.push(blockLine.startsWith(".") ? `.${blockLine}` : blockLine);
  }
  return out;
}

/**
 * Replays the client lines against a `ServerSession`, as one byte stream cut at `splitAt`
 * (pipelined, as PIPELINING allows), with a synchronous host. Returns the mismatches; empty
 * means the server said what the RFC says.
 */
export function replayServer(
  core: CoreModule,
  transcript: Transcript,
  splitAt: number | null = null,
): string[] {
  const session = new core.ServerSession({
    hostname: "replay.invalid",
    now: 0,
    randomBytes: (length) => new Uint8Array(length),
    ...(transcript.timestamp === null
      ? { policy: { apop: false, allowPlaintextAuth: transcript.plaintextAllowed } }
      : {
          apopTimestamp: transcript.timestamp,
          policy: { allowPlaintextAuth: transcript.plaintextAllowed },
        }),
  });
  const input = ascii(
    transcript.exchanges
      .filter((exchange) => exchange.client !== null)
      .map((exchange) => `${exchange.client}\r\n`)
      .join(""),
  );
  const chunks = splitAt === null ? [input] : [input.subarray(0, splitAt), input.subarray(splitAt)];
  const output: Uint8Array[] = [...session.takeOutput()];
  const host = (events: Core.ServerEvent[]): void => {
    const queue = [...events];
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) {
      switch (event.type) {
        case "login-requested": {
          const secret = transcript.users.get(event.user);
          let ok = false;
          if (secret !== undefined && event.proof.kind === "apop") {
            // A test's own check; the server's constant-time one is verifyProof's.
            ok =
              core.apopDigest({ timestamp: event.proof.timestamp, secret }) ===
              event.proof.digest.toLowerCase();
          } else if (secret !== undefined && event.proof.kind === "password") {
            ok = event.proof.password === secret;
          }
          const messages = transcript.messages.map((m) => ({
            size: core.wireSize(m.bytes),
            uid: m.uid,
          }));
          queue.push(
            ...session.completeLogin(
              ok ? { ok: true, messages } : { ok: false, reason: "auth" },
              0,
            ),
          );
          break;
        }
        case "message-requested":
          session.sendBody((transcript.messages[event.index] as { bytes: Uint8Array }).bytes);
          queue.push(...session.endBody(0));
          break;
        case "update-requested":
          queue.push(...session.completeUpdate({ ok: true }));
          break;
        default:
          break;
      }
    }
  };
  for (const chunk of chunks) {
    if (chunk.length > 0) host(session.receive(chunk, 0));
    output.push(...session.takeOutput());
  }
  const actual = latin1(concat(output)).split("\r\n");
  if (actual.at(-1) === "") actual.pop();
  const problems: string[] = [];
  let cursor = 0;
  for (const exchange of transcript.exchanges) {
    const expected = expandServerLines(transcript, exchange.server);
    const multi = expected.length > 1;
    for (const [index, line] of expected.entries()) {
      const got = actual[cursor++];
      const where = `${transcript.name}: after ${exchange.client ?? "connect"}, line ${index + 1}`;
      if (got === undefined) {
        problems.push(`${where}: expected ${JSON.stringify(line)}, got nothing`);
        continue;
      }
      if (index === 0) {
        const fixed =
          exchange.client !== null &&
          /^(STAT|LIST \d+|UIDL \d+)$/i.test(exchange.client) &&
          line.startsWith("+OK");
        if (fixed ? got !== line : statusOf(got) !== statusOf(line)) {
          problems.push(`${where}: expected ${JSON.stringify(line)}, got ${JSON.stringify(got)}`);
        }
      } else if (multi && got !== line) {
        problems.push(`${where}: expected ${JSON.stringify(line)}, got ${JSON.stringify(got)}`);
      }
    }
  }
  if (cursor !== actual.length)
    problems.push(
      `${transcript.name}: extra server output: ${JSON.stringify(actual.slice(cursor))}`,
    );
  return problems;
}

/**
 * Replays the server lines against a `ClientSession`: each client line is sent through
 * `send` (its bytes must equal the transcript's), and each reply is fed back, cut at
 * `splitAt` (an offset into the whole server byte stream). Checks what the client made of it:
 * statuses, listing lines, and message bodies byte for byte.
 */
export function replayClient(
  core: CoreModule,
  transcript: Transcript,
  splitAt: number | null = null,
): string[] {
  const session = new core.ClientSession();
  const problems: string[] = [];
  let offset = 0;
  for (const exchange of transcript.exchanges) {
    const where = `${transcript.name}: ${exchange.client ?? "greeting"}`;
    if (exchange.client !== null) {
      const parsed = core.parseCommand(ascii(exchange.client));
      if (!parsed.ok) {
        problems.push(`${where}: the transcript's command does not parse: ${parsed.message}`);
        return problems;
      }
      session.send(parsed.command);
      const sent = latin1(concat(session.takeOutput()));
      if (sent !== `${exchange.client}\r\n`)
        problems.push(`${where}: sent ${JSON.stringify(sent)}`);
    }
    const expected = expandServerLines(transcript, exchange.server);
    const reply = ascii(expected.map((line) => `${line}\r\n`).join(""));
    const cut = splitAt === null ? -1 : splitAt - offset;
    const chunks =
      cut > 0 && cut < reply.length ? [reply.subarray(0, cut), reply.subarray(cut)] : [reply];
    offset += reply.length;
    const events: Core.ClientEvent[] = [];
    for (const chunk of chunks) events.push(...session.receive(chunk, 0));
    problems.push(...checkClientEvents(exchange.server, expected, events, where));
  }
  return problems;
}

function checkClientEvents(
  serverLines: readonly string[],
  expected: readonly string[],
  events: readonly Core.ClientEvent[],
  where: string,
): string[] {
  const problems: string[] = [];
  const first = events[0];
  const status = statusOf(expected[0] ?? "");
  if (first === undefined) return [`${where}: no event`];
  if (first.type !== "greeting-received" && first.type !== "response-received") {
    return [`${where}: first event is ${first.type}`];
  }
  if ((first.status.ok ? "+OK" : "-ERR") !== status)
    problems.push(`${where}: status ${first.status.ok} for ${status}`);
  const body = serverLines.find((line) => /^<(message|top) /.test(line));
  if (body !== undefined) {
    const chunks = events.filter((event) => event.type === "body-chunk").map((event) => event.data);
    const want = expected
      .slice(1, -1)
      .map((line) => `${line.startsWith("..") ? line.slice(1) : line}\r\n`)
      .join("");
    if (latin1(concat(chunks)) !== want) problems.push(`${where}: body differs`);
    if (events.at(-1)?.type !== "body-end") problems.push(`${where}: no body-end`);
  } else if (first.type === "response-received" && expected.length > 1) {
    const want = expected.slice(1, -1);
    if (JSON.stringify(first.lines) !== JSON.stringify(want)) {
      problems.push(`${where}: lines ${JSON.stringify(first.lines)} for ${JSON.stringify(want)}`);
    }
  }
  return problems;
}

function statusOf(line: string): string {
  return line.startsWith("+OK") ? "+OK" : line.startsWith("-ERR") ? "-ERR" : line;
}

function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
