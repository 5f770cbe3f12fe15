// The client benchmark's mailbox, the same bytes every run (a seeded generator): 224
// messages, ~12.5 MB. 200 small messages of 0.3-1.7 KB with about one body line in ten
// starting with "."; one message of exactly 10 MiB of CRLF text with every 97th line starting
// with "."; one message with a ~1.4 MB base64 attachment; and 22 edge cases: lone "." lines,
// 2,500- and 100,000-octet lines, bare LF and mixed line ends, 8-bit and invalid UTF-8.
import { bigMessage } from "./server-mail.mjs";

/** xorshift32: deterministic, fast, good enough for filler. */
function random(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const WORDS =
  "the a mail server client message line dot stuffing octet maildrop session reply command".split(
    " ",
  );

function header(n, subject, extra = []) {
  return [
    `From: Sender ${n} <sender${n}@example.org>`,
    "To: bench <bench@example.org>",
    `Subject: ${subject}`,
    `Date: Wed, 15 Nov 2023 ${String(n % 24).padStart(2, "0")}:00:00 +0000`,
    `Message-ID: <client-bench.${n}@example.org>`,
    ...extra,
  ];
}

function smallMessage(n, next) {
  const target = 300 + Math.floor(next() * 1400);
  const lines = header(n, `Small message ${n}`);
  lines.push("");
  let size = lines.join("\r\n").length;
  while (size < target) {
    const words = Array.from(
      { length: 3 + Math.floor(next() * 10) },
      () => WORDS[Math.floor(next() * WORDS.length)],
    );
    const line = (next() < 0.1 ? "." : "") + words.join(" ");
    lines.push(line);
    size += line.length + 2;
  }
  return Buffer.from(`${lines.join("\r\n")}\r\n`);
}

function attachmentMessage(next) {
  const bytes = Buffer.alloc(1_050_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
  const base64 = bytes.toString("base64").replace(/.{76}/g, "$&\r\n");
  return Buffer.from(
    [
      ...header(201, "A 1.4 MB attachment", [
        "MIME-Version: 1.0",
        'Content-Type: multipart/mixed; boundary="b"',
      ]),
      "",
      "--b",
      "Content-Type: text/plain",
      "",
      "See the attachment.",
      "--b",
      "Content-Type: application/octet-stream",
      "Content-Transfer-Encoding: base64",
      'Content-Disposition: attachment; filename="data.bin"',
      "",
      `${base64}`,
      "--b--",
      "",
    ].join("\r\n"),
  );
}

function edgeCases() {
  const cases = [
    ["A lone dot line", "before\r\n.\r\nafter\r\n"],
    ["Two lone dots", ".\r\n.\r\n"],
    ["Dots only", "..\r\n...\r\n.\r\n"],
    ["A 2,500-octet line", `${"w".repeat(2500)}\r\n`],
    ["A 100,000-octet line", `${"v".repeat(100_000)}\r\n`],
    ["A 100,000-octet dot line", `.${"u".repeat(99_999)}\r\n`],
    ["Bare LF", "one\ntwo\nthree\n"],
    ["Mixed line ends", "crlf\r\nlf\ncrlf again\r\nlf again\n"],
    ["Bare CR", "one\rtwo\r\n"],
    ["8-bit UTF-8", "Grüße, naïve café, 日本語\r\n"],
    ["Invalid UTF-8", Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe, 0x0d, 0x0a])],
    ["Latin-1", Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65, 0x0d, 0x0a])],
    ["Empty body", ""],
    ["No final line end", "the last line has no CRLF"],
    ["Dot at end without line end", "text\r\n."],
    ["Line of spaces", "     \r\n\t\r\n"],
    ["NUL octets", Buffer.from([0x61, 0x00, 0x62, 0x0d, 0x0a])],
    ["A dot-CR line", ".\rx\r\n"],
    ["Terminator lookalike", "a\r\n.\r\nb\r\n.\r\n"],
    ["Long header", null],
    ["Many short lines", `${"x\r\n".repeat(5000)}`],
    ["Dots at every line", `${".dot\r\n".repeat(2000)}`],
  ];
  return cases.map(([subject, body], i) => {
    const n = 300 + i;
    const head = header(
      n,
      subject,
      subject === "Long header" ? [`X-Long: ${"h".repeat(3000)}`] : [],
    );
    return Buffer.concat([
      Buffer.from(`${head.join("\r\n")}\r\n\r\n`),
      Buffer.from(body ?? "body\r\n"),
    ]);
  });
}

/** The 224 messages, in delivery order. */
export function clientMailbox() {
  const next = random(0x1234567);
  const messages = [];
  for (let n = 1; n <= 200; n++) messages.push(smallMessage(n, next));
  const big = Buffer.from(bigMessage().toString("latin1").replaceAll("\n", "\r\n"), "latin1");
  messages.push(big, attachmentMessage(next), ...edgeCases());
  return messages;
}
