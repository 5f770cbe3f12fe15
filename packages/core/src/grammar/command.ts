import { isPrintableAscii } from "../bytes/ascii.ts";
import { decodeUtf8, encodeUtf8 } from "../bytes/utf8.ts";
import { I_DEFAULT, type ServerMessage } from "../i18n/server-messages.ts";
import { assertNever } from "../util/assert-never.ts";

/**
 * Every POP3 command, as one discriminated union on `keyword`. The same values flow both
 * ways (h11's symmetry): the client formats what the server parses.
 *
 * - RFC 1939: USER PASS APOP STAT LIST RETR DELE NOOP RSET QUIT TOP UIDL
 * - RFC 2449: CAPA
 * - RFC 2595: STLS
 * - RFC 5034: AUTH (the initial response is kept as its base64 text; `=` means empty)
 * - RFC 6856: UTF8, LANG
 *
 * Message numbers are 1-based as on the wire.
 */
export type Command =
  | { readonly keyword: "USER"; readonly name: string }
  | { readonly keyword: "PASS"; readonly password: string }
  | { readonly keyword: "APOP"; readonly name: string; readonly digest: string }
  | { readonly keyword: "STAT" }
  | { readonly keyword: "LIST"; readonly message?: number }
  | { readonly keyword: "RETR"; readonly message: number }
  | { readonly keyword: "DELE"; readonly message: number }
  | { readonly keyword: "NOOP" }
  | { readonly keyword: "RSET" }
  | { readonly keyword: "QUIT" }
  | { readonly keyword: "TOP"; readonly message: number; readonly lines: number }
  | { readonly keyword: "UIDL"; readonly message?: number }
  | { readonly keyword: "CAPA" }
  | { readonly keyword: "STLS" }
  | { readonly keyword: "AUTH"; readonly mechanism?: string; readonly initialResponse?: string }
  | { readonly keyword: "UTF8" }
  | { readonly keyword: "LANG"; readonly tag?: string };

/** A command's keyword, upper case as RFC 1939 section 3 writes them (`"RETR"`). */
export type Keyword = Command["keyword"];

/** Every keyword, in RFC order. */
export const KEYWORDS: readonly Keyword[] = [
  "USER",
  "PASS",
  "APOP",
  "STAT",
  "LIST",
  "RETR",
  "DELE",
  "NOOP",
  "RSET",
  "QUIT",
  "TOP",
  "UIDL",
  "CAPA",
  "STLS",
  "AUTH",
  "UTF8",
  "LANG",
];

/**
 * Each keyword under its own text. `parseCommand` hands out these strings, never the slice of
 * the line it read: they are the program's own literals (interned by the engine), so the
 * switches and table lookups that follow on every command compare pointers, not characters.
 */
const KEYWORD_BY_TEXT: ReadonlyMap<string, Keyword> = new Map(KEYWORDS.map((k) => [k, k]));

/**
 * Why a command line was refused; the server answers each with `-ERR`. `response` is the
 * text as a message of the catalog (the session puts it into the client's language);
 * `message` is its i-default words, for logs and for programs without a session.
 */
export type CommandParseError = {
  readonly reason: "unknown-command" | "bad-syntax";
  readonly message: string;
  readonly response: ServerMessage;
};

export type CommandParseResult =
  | { readonly ok: true; readonly command: Command }
  | ({ readonly ok: false } & CommandParseError);

/** Largest message number or line count we accept: no overflow past a 32-bit signed integer. */
export const MAX_NUMBER = 0x7fffffff;

/** RFC 1939 section 7 / RFC 2449 section 9: an APOP digest is 32 hex digits. */
const DIGEST = /^[0-9a-fA-F]{32}$/;
/** RFC 5034 section 4 / RFC 4422: a mechanism name is 1-20 of A-Z 0-9 - _ (case-insensitive). */
const MECHANISM = /^[A-Za-z0-9_-]{1,20}$/;
/** RFC 5646 language tags as RFC 6856 section 3 uses them, plus `*` (the client asks for the default). */
const LANGUAGE_TAG = /^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$/;

/**
 * Parses one command line (without its line ending).
 *
 * Keywords are case-insensitive (RFC 1939 section 3). Arguments are separated by single
 * spaces; a trailing space is tolerated, as some clients send one. PASS takes the rest of the
 * line verbatim, spaces included (RFC 1939 section 7 allows it). Arguments are decoded as
 * UTF-8 (RFC 6856 section 2: UTF8 mode admits it; ASCII is a subset); invalid UTF-8, NUL or
 * other control characters are a syntax error. Message numbers are decimal digits only: no
 * sign, at most `MAX_NUMBER`, and positive; TOP's line count may be 0. Whether a number names
 * an existing message is the session's business.
 */
export function parseCommand(line: Uint8Array): CommandParseResult {
  const text = decodeUtf8(line);
  if (text === null) return badSyntax({ id: "notUtf8" });
  // TAB is allowed only inside a password (Twisted's clients send such passwords).
  if (hasControlCharacter(text, { tabAllowed: true })) {
    return badSyntax({ id: "controlCharacters" });
  }
  const space = text.indexOf(" ");
  // RFC 1939 section 3: keywords are ASCII, case-insensitive. Fold only a-z: Unicode folding
  // would read "\u017Ftat" (LONG S) as STAT, a parser differential with other servers.
  const word = asciiUpperCase(space === -1 ? text : text.slice(0, space));
  const rest = space === -1 ? "" : text.slice(space + 1);
  const keyword = KEYWORD_BY_TEXT.get(word);
  if (keyword === undefined) {
    const shown = isPrintableAscii(word) && word.length <= 16 ? word : "";
    return refused("unknown-command", { id: "unknownCommand", params: { keyword: shown } });
  }
  if (keyword === "PASS") {
    if (space === -1) return badSyntax({ id: "passNeedsPassword" });
    return { ok: true, command: { keyword, password: rest } };
  }
  if (text.includes("\t")) return badSyntax({ id: "controlCharacters" });
  const args = rest === "" ? [] : (rest.endsWith(" ") ? rest.slice(0, -1) : rest).split(" ");
  if (args.includes("")) return badSyntax({ id: "oneSpace", params: { keyword } });
  return parseArguments(keyword, args);
}

function parseArguments(keyword: Keyword, args: readonly string[]): CommandParseResult {
  const [first, second] = args;
  switch (keyword) {
    case "STAT":
    case "NOOP":
    case "RSET":
    case "QUIT":
    case "CAPA":
    case "STLS":
    case "UTF8":
      return args.length === 0
        ? ok({ keyword })
        : badSyntax({ id: "noArguments", params: { keyword } });
    case "USER":
      if (args.length !== 1 || first === undefined) return badSyntax({ id: "userNeedsName" });
      return ok({ keyword, name: first });
    case "APOP": {
      if (args.length !== 2 || first === undefined || second === undefined) {
        return badSyntax({ id: "apopArguments" });
      }
      if (!DIGEST.test(second)) return badSyntax({ id: "apopDigest" });
      return ok({ keyword, name: first, digest: second });
    }
    case "LIST":
    case "UIDL": {
      if (args.length > 1) return badSyntax({ id: "atMostOneNumber", params: { keyword } });
      if (first === undefined) return ok({ keyword });
      const message = parseNumber(first, 1);
      if (message === null) return badSyntax({ id: "invalidNumber", params: { value: first } });
      return ok({ keyword, message });
    }
    case "RETR":
    case "DELE": {
      if (args.length !== 1 || first === undefined)
        return badSyntax({ id: "oneNumber", params: { keyword } });
      const message = parseNumber(first, 1);
      if (message === null) return badSyntax({ id: "invalidNumber", params: { value: first } });
      return ok({ keyword, message });
    }
    case "TOP": {
      if (args.length !== 2 || first === undefined || second === undefined) {
        return badSyntax({ id: "topArguments" });
      }
      const message = parseNumber(first, 1);
      if (message === null) return badSyntax({ id: "invalidNumber", params: { value: first } });
      const lines = parseNumber(second, 0);
      if (lines === null) return badSyntax({ id: "invalidLineCount", params: { value: second } });
      return ok({ keyword, message, lines });
    }
    case "AUTH": {
      if (args.length > 2) return badSyntax({ id: "authArguments" });
      if (first === undefined) return ok({ keyword });
      if (!MECHANISM.test(first)) return badSyntax({ id: "invalidMechanism" });
      const mechanism = first.toUpperCase();
      return ok(
        second === undefined
          ? { keyword, mechanism }
          : { keyword, mechanism, initialResponse: second },
      );
    }
    case "LANG": {
      if (args.length > 1) return badSyntax({ id: "langArguments" });
      if (first === undefined) return ok({ keyword });
      if (!LANGUAGE_TAG.test(first)) return badSyntax({ id: "invalidLanguageTag" });
      return ok({ keyword, tag: first });
    }
    case "PASS":
      // Handled before splitting: PASS keeps its spaces.
      return badSyntax({ id: "passNeedsPassword" });
    default:
      return assertNever(keyword);
  }
}

/**
 * Formats a command as wire bytes, CRLF included. Throws `RangeError` for values that cannot
 * be put on the wire: a line ending, a NUL, or a space inside a single argument, or a number
 * out of range, since sending them would change the command's meaning.
 */
export function formatCommand(command: Command): Uint8Array {
  return encodeUtf8(`${formatCommandText(command)}\r\n`);
}

/** The command line as text, without CRLF (also used for logs; see `redactCommand`). */
export function formatCommandText(command: Command): string {
  switch (command.keyword) {
    case "STAT":
    case "NOOP":
    case "RSET":
    case "QUIT":
    case "CAPA":
    case "STLS":
    case "UTF8":
      return command.keyword;
    case "USER":
      return `USER ${argument(command.name)}`;
    case "PASS":
      return `PASS ${freeText(command.password)}`;
    case "APOP":
      if (!DIGEST.test(command.digest)) throw new RangeError("APOP digest must be 32 hex digits");
      return `APOP ${argument(command.name)} ${command.digest}`;
    case "LIST":
    case "UIDL":
      return command.message === undefined
        ? command.keyword
        : `${command.keyword} ${number(command.message, 1)}`;
    case "RETR":
    case "DELE":
      return `${command.keyword} ${number(command.message, 1)}`;
    case "TOP":
      return `TOP ${number(command.message, 1)} ${number(command.lines, 0)}`;
    case "AUTH": {
      if (command.mechanism === undefined) return "AUTH";
      if (!MECHANISM.test(command.mechanism)) throw new RangeError("Invalid SASL mechanism name");
      return command.initialResponse === undefined
        ? `AUTH ${command.mechanism}`
        : `AUTH ${command.mechanism} ${argument(command.initialResponse)}`;
    }
    case "LANG":
      if (command.tag === undefined) return "LANG";
      if (!LANGUAGE_TAG.test(command.tag)) throw new RangeError("Invalid language tag");
      return `LANG ${command.tag}`;
    default:
      return assertNever(command);
  }
}

/** The command as text with secrets replaced by `***`, for logs and error messages. */
export function redactCommand(command: Command): string {
  switch (command.keyword) {
    case "PASS":
      return "PASS ***";
    case "APOP":
      return `APOP ${command.name} ***`;
    case "AUTH":
      return command.initialResponse === undefined
        ? formatCommandText(command)
        : `AUTH ${command.mechanism} ***`;
    default:
      return formatCommandText(command);
  }
}

function parseNumber(text: string, min: number): number | null {
  if (!/^[0-9]{1,10}$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= MAX_NUMBER ? value : null;
}

function number(value: number, min: number): string {
  if (!Number.isInteger(value) || value < min || value > MAX_NUMBER) {
    throw new RangeError(`number out of range: ${value}`);
  }
  return String(value);
}

function argument(value: string): string {
  if (value === "" || value.includes(" ") || hasControlCharacter(value)) {
    throw new RangeError("argument must be non-empty, without spaces or control characters");
  }
  return value;
}

function freeText(value: string): string {
  if (hasControlCharacter(value, { tabAllowed: true }))
    throw new RangeError("argument must not contain control characters");
  return value;
}

function hasControlCharacter(text: string, { tabAllowed = false } = {}): boolean {
  // C0 controls and DEL: CR and LF would end the line, NUL truncates strings in C peers.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if ((unit < 0x20 && !(tabAllowed && unit === 0x09)) || unit === 0x7f) return true;
  }
  return false;
}

function asciiUpperCase(text: string): string {
  // Clients send their keywords in upper case nearly always: a word with no a-z is returned
  // as it is, without the pattern and callback of a replace.
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x61 && unit <= 0x7a) {
      return text.replace(/[a-z]+/g, (letters) => letters.toUpperCase());
    }
  }
  return text;
}

function ok(command: Command): CommandParseResult {
  return { ok: true, command };
}

function badSyntax(response: ServerMessage): CommandParseResult {
  return refused("bad-syntax", response);
}

function refused(reason: CommandParseError["reason"], response: ServerMessage): CommandParseResult {
  const args = (response.params === undefined ? [] : [response.params]) as [never];
  const message = (I_DEFAULT[response.id] as (...args: [never]) => string)(...args);
  return { ok: false, reason, message, response };
}
