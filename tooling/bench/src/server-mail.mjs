// The server benchmark's mail, made the same way every run: 10,000 users with three small
// messages each (the first 1,000 drive the sessions/s figure, all 10,000 the idle and storm
// figures), `big` with one message of exactly 10 MiB of CRLF text, and `many` with 10,000
// small messages. Messages are stored with LF line ends, as an MTA writes them, in `cur/`
// with Dovecot's `,S=` (stored size) and `,W=` (wire size, CRLF) fields, which both servers
// read; each server gets its own copy, since Dovecot writes index files beside the mail.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const USERS = 10_000;
export const SESSION_USERS = 1_000;
export const MANY_MESSAGES = 10_000;
export const BIG_OCTETS = 10 * 1024 * 1024;

export const userName = (i) => `u${String(i).padStart(5, "0")}`;
export const secretOf = (name) => `pw-${name}`;

/** A small message (~600 octets) with a line that needs dot-stuffing. */
export function smallMessage(user, n) {
  const lines = [
    `Return-Path: <sender${n}@example.org>`,
    `From: Sender ${n} <sender${n}@example.org>`,
    `To: ${user} <${user}@example.org>`,
    `Subject: Message ${n} for ${user}`,
    `Date: Tue, 14 Nov 2023 22:13:${String(10 + n).padStart(2, "0")} +0000`,
    `Message-ID: <${user}.${n}@bench.example.org>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=us-ascii",
    "",
    "Hello,",
    "",
    `this is message ${n} of the benchmark mailbox of ${user}. It is about as long as a`,
    "short notification mail: a few header fields and a handful of body lines, one of",
    "which starts with a dot, so the server has to stuff it:",
    ".a line that starts with a dot",
    "",
    "Regards,",
    "the benchmark",
    "",
  ];
  return Buffer.from(lines.join("\n"));
}

/** Exactly 10 MiB once sent with CRLF line ends: 1 MiB of 102-octet lines ... */
export function bigMessage() {
  const header = "From: big@example.org\nTo: big@example.org\nSubject: 10 MiB\n\n";
  const parts = [header];
  let wire = header.length + 4; // each LF becomes CRLF on the wire
  let n = 0;
  while (wire < BIG_OCTETS) {
    const remaining = BIG_OCTETS - wire;
    // Every 97th line starts with a dot (stuffed on the wire, not counted in the size).
    let line = (n % 97 === 0 ? "." : "x") + `${n}`.padStart(8, "0") + "y".repeat(91);
    if (remaining < line.length + 2 + 200) line = "z".repeat(Math.max(0, remaining - 2));
    parts.push(`${line}\n`);
    wire += line.length + 2;
    n++;
  }
  const text = Buffer.from(parts.join(""));
  return text;
}

/** The wire size of an LF-stored message (every LF is sent as CRLF; RFC 1939 section 11). */
export function wireSize(message) {
  let lf = 0;
  for (let at = message.indexOf(10); at >= 0; at = message.indexOf(10, at + 1)) lf++;
  return message.length + lf;
}

/** The multi-line block a server sends for `message`: CRLF, dot-stuffed, CRLF.CRLF. */
export function wireBlock(message) {
  const text = message.toString("latin1").replaceAll("\n", "\r\n");
  const stuffed = text.replace(/(^|\r\n)\./g, "$1..");
  return Buffer.from(`${stuffed}.\r\n`, "latin1");
}

function writeMaildir(dir, messages) {
  for (const sub of ["cur", "new", "tmp"]) mkdirSync(join(dir, sub), { recursive: true });
  messages.forEach((message, i) => {
    const name = `${1700000000 + i}.M${i}P1.bench,S=${message.length},W=${wireSize(message)}:2,`;
    writeFileSync(join(dir, "cur", name), message);
  });
}

/** Writes the mail for every user into `root/<user>` (a Maildir per user). */
export function writeServerMail(root) {
  for (let i = 0; i < USERS; i++) {
    const user = userName(i);
    writeMaildir(
      join(root, user),
      [1, 2, 3].map((n) => smallMessage(user, n)),
    );
  }
  writeMaildir(join(root, "big"), [bigMessage()]);
  writeMaildir(
    join(root, "many"),
    Array.from({ length: MANY_MESSAGES }, (_, n) => smallMessage("many", n % 50)),
  );
}

/** Every user with the secret both servers store in clear (APOP needs it). */
export function allUsers() {
  const users = [];
  for (let i = 0; i < USERS; i++) users.push({ name: userName(i), secret: secretOf(userName(i)) });
  users.push({ name: "big", secret: secretOf("big") }, { name: "many", secret: secretOf("many") });
  return users;
}
