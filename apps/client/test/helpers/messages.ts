/**
 * Messages that trip naive clients, as stored in the server's Maildir and as RFC 1939
 * section 3 says they must arrive (CRLF line ends, a CRLF added to an unterminated last
 * line, every other byte untouched), with what apop must write locally: the arriving bytes
 * with CRLF turned to LF (Maildir and mbox files hold LF, as Unix MTAs write them).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestMessage {
  readonly name: string;
  readonly stored: Buffer;
  readonly arrives: Buffer;
  /** The sender apop must put on the mbox `From ` line. */
  readonly sender: string;
}

const latin1 = (text: string): Buffer => Buffer.from(text, "latin1");

export const TRICKY: readonly TestMessage[] = [
  {
    name: "empty body",
    stored: latin1("From: Alice <alice@example.org>\r\nSubject: nothing\r\n\r\n"),
    arrives: latin1("From: Alice <alice@example.org>\r\nSubject: nothing\r\n\r\n"),
    sender: "alice@example.org",
  },
  {
    name: "lines starting with a dot, and a line that is only a dot",
    stored: latin1("Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\n. space\r\nend\r\n"),
    arrives: latin1("Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\n. space\r\nend\r\n"),
    sender: "MAILER-DAEMON",
  },
  {
    name: "bare LF line ends",
    stored: latin1("Subject: lf\n\nfirst\n.\n.x\nlast\n"),
    arrives: latin1("Subject: lf\r\n\r\nfirst\r\n.\r\n.x\r\nlast\r\n"),
    sender: "MAILER-DAEMON",
  },
  {
    name: "no final newline",
    stored: latin1("Return-Path: <bounce@example.net>\r\nSubject: open\r\n\r\nthe last line"),
    arrives: latin1("Return-Path: <bounce@example.net>\r\nSubject: open\r\n\r\nthe last line\r\n"),
    sender: "bounce@example.net",
  },
  {
    name: "8-bit bytes",
    stored: latin1("Subject: \xe9t\xe9\r\n\r\n\xff\x80\x00\x7f\r\n"),
    arrives: latin1("Subject: \xe9t\xe9\r\n\r\n\xff\x80\x00\x7f\r\n"),
    sender: "MAILER-DAEMON",
  },
  {
    name: "UTF-8",
    stored: Buffer.from("From: bob@example.org\r\nSubject: Grüße 🎉\r\n\r\nこんにちは\r\n", "utf8"),
    arrives: Buffer.from(
      "From: bob@example.org\r\nSubject: Grüße 🎉\r\n\r\nこんにちは\r\n",
      "utf8",
    ),
    sender: "bob@example.org",
  },
  {
    name: "a 2,000-character line",
    stored: latin1(`Subject: long\r\n\r\n.${"x".repeat(1999)}\r\n`),
    arrives: latin1(`Subject: long\r\n\r\n.${"x".repeat(1999)}\r\n`),
    sender: "MAILER-DAEMON",
  },
  {
    name: "From lines for mboxrd quoting",
    stored: latin1(
      "Subject: from\r\n\r\nFrom me\r\n>From you\r\n>>From them\r\nFrom\r\n>From\r\n From x\r\n",
    ),
    arrives: latin1(
      "Subject: from\r\n\r\nFrom me\r\n>From you\r\n>>From them\r\nFrom\r\n>From\r\n From x\r\n",
    ),
    sender: "MAILER-DAEMON",
  },
  {
    name: "a CR inside a line",
    stored: latin1("Subject: cr\r\n\r\na\rb\r.\r\n"),
    arrives: latin1("Subject: cr\r\n\r\na\rb\r.\r\n"),
    sender: "MAILER-DAEMON",
  },
];

/** A message of `size` octets or a little more: bare-LF lines, dot lines, no final newline. */
export function bigMessage(size: number, label = "big"): TestMessage {
  const unit = "plain line of text\n.dot first\n.\n..\nFrom here\n";
  const count = Math.ceil(size / unit.length);
  return {
    name: `a ${label} message`,
    stored: latin1(`Subject: ${label}\n\n${unit.repeat(count)}tail`),
    arrives: latin1(
      `Subject: ${label}\r\n\r\n${unit.replaceAll("\n", "\r\n").repeat(count)}tail\r\n`,
    ),
    sender: "MAILER-DAEMON",
  };
}

/** A plain small message with a number in it. */
export function smallMessage(n: number): TestMessage {
  const text = `From: sender${n}@example.org\r\nSubject: message ${n}\r\n\r\nbody of message ${n}\r\n`;
  return {
    name: `message ${n}`,
    stored: latin1(text),
    arrives: latin1(text),
    sender: `sender${n}@example.org`,
  };
}

/** What apop writes into a Maildir file: the arriving bytes with CRLF turned into LF. */
export function localBytes(message: TestMessage): Buffer {
  return latin1(message.arrives.toString("latin1").replaceAll("\r\n", "\n"));
}

/** The server-side UID of the i-th message written by `writeMailbox` (the unique name). */
export function serverUid(index: number): string {
  return `${1_000_000_000 + index}.M${index}P1Q${index}.pop.test`;
}

/**
 * Creates `<root>/<user>/{cur,new,tmp}` holding the messages in order: delivery times in the
 * names keep POP3 message numbers in this order, and the names are their UIDs.
 */
export function writeMailbox(root: string, user: string, messages: readonly TestMessage[]): string {
  const maildir = join(root, user);
  for (const dir of ["cur", "new", "tmp"]) mkdirSync(join(maildir, dir), { recursive: true });
  messages.forEach((message, index) => {
    writeFileSync(join(maildir, "cur", `${serverUid(index)}:2,S`), message.stored);
  });
  return maildir;
}
