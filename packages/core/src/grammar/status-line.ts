import { latin1ToString } from "../bytes/ascii.ts";
import { decodeUtf8, encodeUtf8 } from "../bytes/utf8.ts";

/**
 * The extended response codes this project knows (RFC 2449 section 8, RFC 3206, RFC 6856).
 * Others may arrive; clients keep them as text and otherwise ignore them (RFC 2449 section 8).
 */
export const ResponseCode = {
  /** RFC 2449 section 8.2: the maildrop is locked by another session. Not a credential problem. */
  inUse: "IN-USE",
  /** RFC 2449 section 8.1: logged in too soon after the previous login. */
  loginDelay: "LOGIN-DELAY",
  /** RFC 3206 section 4: a temporary fault; try again later, without asking for a new password. */
  sysTemp: "SYS/TEMP",
  /** RFC 3206 section 4: a permanent fault that needs an administrator. */
  sysPerm: "SYS/PERM",
  /** RFC 3206 section 5: the credentials were wrong (or refused by policy). */
  auth: "AUTH",
  /** RFC 6856 section 2.2: the command needs UTF-8 mode. */
  utf8: "UTF8",
} as const;

export type KnownResponseCode = (typeof ResponseCode)[keyof typeof ResponseCode];

/** The first line of a response (RFC 1939 section 3; RFC 2449 section 8). */
export interface StatusLine {
  readonly ok: boolean;
  /** The response code between square brackets, upper-cased (`SYS/TEMP`), if there is one. */
  readonly code?: string;
  /** The text after the status and code; may be empty. */
  readonly text: string;
}

/**
 * RFC 2449 section 8: resp-code = "[" resp-level *("/" resp-level) "]", where a resp-level is
 * 1*rchar and rchar excludes `/`, `]` and anything outside 0x21-0x7F.
 */
const CODE = /^\[([\x21-\x2e\x30-\x5c\x5e-\x7f]+(?:\/[\x21-\x2e\x30-\x5c\x5e-\x7f]+)*)\](?: |$)/;

/**
 * Parses a status line (without its line ending), or returns `null` when it is neither
 * `+OK` nor `-ERR`. Lenient where real servers are sloppy: the indicator's case is ignored,
 * and a bare `+OK` with nothing after it is accepted (RFC 1957). Text is read as UTF-8 when it
 * is valid UTF-8, else as latin-1, so no byte is lost.
 */
export function parseStatusLine(line: Uint8Array): StatusLine | null {
  const whole = decodeUtf8(line) ?? latin1ToString(line);
  const upper = whole.slice(0, 4).toUpperCase();
  let ok: boolean;
  let rest: string;
  if (upper.startsWith("+OK")) {
    ok = true;
    rest = whole.slice(3);
  } else if (upper === "-ERR") {
    ok = false;
    rest = whole.slice(4);
  } else {
    return null;
  }
  if (rest === "") return { ok, text: "" };
  if (rest[0] !== " ") return null;
  rest = rest.slice(1);
  const match = CODE.exec(rest);
  if (match === null) return { ok, text: rest };
  const code = (match[1] as string).toUpperCase();
  return { ok, code, text: rest.slice(match[0].length) };
}

/** Formats a status line, CRLF included. The text must not contain a line ending. */
export function formatStatusLine(status: StatusLine): Uint8Array {
  const { text, code } = status;
  if (text.includes("\r") || text.includes("\n")) {
    throw new RangeError("status text must be one line");
  }
  // Plain concatenation (every reply of every session comes through here): the indicator,
  // then ` [CODE]` if any, then ` text` unless it is empty.
  let line = status.ok ? "+OK" : "-ERR";
  if (code !== undefined) line += ` [${code}]`;
  if (text !== "") line += ` ${text}`;
  return encodeUtf8(`${line}\r\n`);
}

/**
 * A SASL continuation line, `+ ` and base64 (RFC 5034 section 4). Some servers send a bare
 * `+` for an empty challenge; it is accepted. Returns the base64 text, or `null` when the line
 * is not a continuation.
 */
export function parseContinuation(line: Uint8Array): string | null {
  if (line[0] !== 0x2b /* + */) return null;
  if (line.length === 1) return "";
  if (line[1] !== 0x20 /* SP */) return null;
  return latin1ToString(line.subarray(2));
}

/** Formats a continuation line, `+ ` base64 CRLF (RFC 5034 section 4). */
export function formatContinuation(base64: string): Uint8Array {
  return encodeUtf8(`+ ${base64}\r\n`);
}
