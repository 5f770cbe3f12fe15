/**
 * The shared corpus of tricky messages, generated (nothing big lives in git). Every peer
 * gets the same bytes; `wire-form.ts` says what RFC 1939 requires to arrive for each.
 *
 * Every message has a unique `Message-ID: <name@interop.apop>`, so that tools which name
 * the files they deliver their own way (Maildir writers) can be matched message by message.
 */
export interface CorpusMessage {
  /** Kebab-case; also in the Message-ID and, for most, the Subject. */
  readonly name: string;
  /** What the message probes, for failure messages and the README. */
  readonly about: string;
  /** The bytes of the Maildir file, exactly as an MTA might have written them. */
  readonly stored: Buffer;
}

const MiB = 1024 * 1024;

/** The size of the big message: 10 MiB on disk. */
export const BIG_MESSAGE_OCTETS = 10 * MiB;

/** Header block shared by every message; `eol` is the line end on disk. */
function headers(
  name: string,
  options: { eol?: string; subject?: string; extra?: readonly string[] } = {},
): string {
  const eol = options.eol ?? "\n";
  return [
    "Return-Path: <sender@interop.test>",
    "From: Interop Sender <sender@interop.test>",
    "To: alice@interop.test",
    `Subject: ${options.subject ?? name}`,
    `Message-ID: <${name}@interop.apop>`,
    "Date: Thu, 01 Jan 2026 00:00:00 +0000",
    ...(options.extra ?? []),
  ]
    .map((line) => `${line}${eol}`)
    .join("");
}

function message(name: string, about: string, ...parts: (string | Buffer)[]): CorpusMessage {
  return {
    name,
    about,
    stored: Buffer.concat(
      parts.map((part) => (typeof part === "string" ? Buffer.from(part, "latin1") : part)),
    ),
  };
}

function utf8(text: string): Buffer {
  return Buffer.from(text, "utf8");
}

/**
 * Plain filler lines after `prefix` so that the result is exactly `length` octets and ends
 * with `eol`: puts a chosen byte at a chosen offset (a 64 KiB read-chunk boundary).
 */
function padTo(prefix: string, length: number, eol: string): string {
  let text = prefix;
  let line = 0;
  while (length - text.length > 80) {
    text += `filler line ${String(++line).padStart(5, "0")} ${"x".repeat(50)}${eol}`;
  }
  const last = length - text.length - eol.length;
  if (last < 1) throw new Error("padTo: prefix too close to the target length");
  return `${text}${"z".repeat(last)}${eol}`;
}

/** Deterministic printable lines (a small LCG), every 997th starting with a dot, LF ends. */
function bigMessage(name: string): CorpusMessage {
  const head = Buffer.from(`${headers(name)}\n`, "latin1");
  const out = Buffer.alloc(BIG_MESSAGE_OCTETS);
  head.copy(out);
  const alphabet = Buffer.from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "latin1",
  );
  let seed = 0x2545f491;
  let offset = head.length;
  let line = 0;
  while (offset < BIG_MESSAGE_OCTETS) {
    line += 1;
    const room = BIG_MESSAGE_OCTETS - offset - 1;
    const width = Math.min(76, room);
    for (let i = 0; i < width; i += 1) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      out[offset + i] = alphabet[(seed >>> 16) & 63] as number;
    }
    if (line % 997 === 0 && width > 0) out[offset] = 0x2e;
    offset += width;
    out[offset] = 0x0a;
    offset += 1;
  }
  return { name, about: "10 MiB, 76-octet lines, some starting with a dot", stored: out };
}

/** Every octet from 0x80 to 0xFF, 32 to a line. */
function highOctetLines(): Buffer {
  const lines: Buffer[] = [];
  for (let start = 0x80; start < 0x100; start += 32) {
    const line = Buffer.alloc(33);
    for (let i = 0; i < 32; i += 1) line[i] = start + i;
    line[32] = 0x0a;
    lines.push(line);
  }
  return Buffer.concat(lines);
}

/** The corpus of tricky messages, in delivery (and so POP3) order. */
export function buildCorpus(): CorpusMessage[] {
  const crlf = "\r\n";
  return [
    message(
      "plain",
      "an ordinary message, LF line ends on disk",
      headers("plain"),
      "\nHello Alice,\n\nA plain message.\n",
    ),
    message(
      "crlf-on-disk",
      "CRLF line ends on disk",
      headers("crlf-on-disk", { eol: crlf }),
      `${crlf}Stored with CRLF.${crlf}Second line.${crlf}`,
    ),
    message(
      "empty-body",
      "headers, the blank line, and no body at all",
      headers("empty-body"),
      "\n",
    ),
    message("headers-only", "headers and no blank line after them", headers("headers-only")),
    message(
      "dot-lines",
      "lines starting with dots, lines that are only a dot, the last line a lone dot",
      headers("dot-lines"),
      "\n.\n..\n...\n.leading dot\n..two leading dots\n. space after a dot\na lone dot line follows\n.\n",
      "not.at.start .\n.\r\n..\r\nends with a lone dot line:\n.\n",
    ),
    message(
      "bare-lf",
      "CRLF on disk with some bare LF line ends, among them a bare-LF lone dot (greenmail #1049)",
      headers("bare-lf", { eol: crlf }),
      `${crlf}a CRLF line${crlf}a bare LF line\n.\n..\nCRLF again${crlf}.${crlf}\nlast line, bare LF\n`,
    ),
    message(
      "no-final-newline",
      "the last line has no line end (RFC 1939: the server adds CRLF)",
      headers("no-final-newline"),
      "\nfirst line\nlast line without a newline",
    ),
    message(
      "no-final-newline-dot",
      "the last line is a lone dot without a line end",
      headers("no-final-newline-dot"),
      "\nthe last line is a lone dot without a newline:\n.",
    ),
    message(
      "eight-bit",
      "every octet 0x80-0xFF in the body, Latin-1 in a header",
      headers("eight-bit", {
        extra: [
          "X-Latin1: caf\u00e9 cr\u00e8me br\u00fbl\u00e9e",
          "Content-Type: text/plain; charset=iso-8859-1",
          "Content-Transfer-Encoding: 8bit",
        ],
      }),
      "\nGr\u00fc\u00dfe aus K\u00f6ln\n",
      highOctetLines(),
    ),
    message(
      "utf-8",
      "UTF-8 in the Subject (RFC 6532) and the body",
      utf8(
        headers("utf-8", {
          subject: "utf-8: \u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c\u8a9e \u{1f600}",
          extra: [
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
          ],
        }),
      ),
      utf8(
        "\n\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440\n\u3053\u3093\u306b\u3061\u306f\n\u0645\u0631\u062d\u0628\u0627\n.\u00e9 after a dot\n\u{1f44d}\u{1f3fd}\n",
      ),
    ),
    message(
      "long-line-2000",
      "a 2,000-octet body line",
      headers("long-line-2000"),
      `\n${"a".repeat(2000)}\nend\n`,
    ),
    message(
      "long-line-10000",
      "a 10,000-octet body line (over Python poplib's 2,048-octet line limit)",
      headers("long-line-10000"),
      `\n${"b".repeat(4999)}.${"c".repeat(5000)}\n.${"d".repeat(9999)}\nend\n`,
    ),
    message(
      "long-header",
      "a 300-octet unfolded header field",
      headers("long-header", {
        extra: [
          `X-Long-Header: ${Array.from({ length: 50 }, (_, i) => `word${String(i).padStart(2, "0")}`).join(" ")}`,
        ],
      }),
      "\nbody\n",
    ),
    message(
      "from-lines",
      "body lines starting with From and >From (mbox quoting territory)",
      headers("from-lines"),
      "\nFrom the start of a line\n>From a quoted line\nFrom \n",
    ),
    message(
      "dot-at-64k-lf",
      "a lone-dot line starting at octet 65,536 of the file (a 64 KiB read boundary), LF ends",
      padTo(`${headers("dot-at-64k-lf")}\n`, 65536, "\n"),
      ".\n.dot line after the boundary\nend\n",
    ),
    message(
      "crlf-split-at-64k",
      "CR at octet 65,535 and LF at 65,536, then a lone dot: CRLF split across a 64 KiB boundary",
      padTo(`${headers("crlf-split-at-64k", { eol: crlf })}${crlf}`, 65537, crlf),
      `.${crlf}.dot line${crlf}end${crlf}`,
    ),
    bigMessage("ten-mib"),
  ];
}

/** The corpus's messages by name. */
export function corpusByName(corpus: readonly CorpusMessage[]): Map<string, CorpusMessage> {
  return new Map(corpus.map((entry) => [entry.name, entry]));
}

/** How many messages the bulk mailbox holds. */
export const BULK_COUNT = 200;

/** 200 small messages for the bulk mailbox: odd ones CRLF on disk, every tenth with a dot line. */
export function buildBulkCorpus(): CorpusMessage[] {
  return Array.from({ length: BULK_COUNT }, (_, index) => {
    const number = index + 1;
    const name = `bulk-${String(number).padStart(3, "0")}`;
    const eol = number % 2 === 1 ? "\r\n" : "\n";
    const dot = number % 10 === 0 ? `.${eol}` : "";
    return message(
      name,
      "one of 200 small messages",
      headers(name, { eol }),
      `${eol}Message ${number} of ${BULK_COUNT}.${eol}${dot}`,
    );
  });
}
