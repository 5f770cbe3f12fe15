/**
 * Every response text apop's server writes, in `i-default` (RFC 2277 section 4.5: English, for
 * whoever asked for nothing), keyed by message id. Each text is a function of its parameters,
 * so a caller names the id and hands over the numbers and names; the words are chosen here
 * (and in the other languages of `message-catalog.ts`, which must have the same ids with the
 * same parameters: the `MessageCatalog` type makes `tsc` refuse anything else).
 *
 * Parameters that echo what the client sent (`visible`) are shown as printable ASCII only:
 * before UTF8 no response line may carry non-ASCII (RFC 6856 section 2), and a control
 * character in an echo could forge a line. Free-form texts a host supplies (`LoginOutcome.text`,
 * the configured greeting) are the host's words and bypass the catalog.
 */

/**
 * The echo of client input in a response text: printable ASCII only (anything else becomes
 * `?`), cut after `max` characters.
 */
export function visible(text: string, max = 20): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return /^[\x20-\x7e]*$/.test(cut) ? cut : cut.replace(/[^\x20-\x7e]/gu, "?");
}

/** `one` for a count of 1, else `many`: the plural rule of English and German. */
export function plural(count: number, one: string, many: string): string {
  return count === 1 ? one : many;
}

/**
 * Each message id and its parameters (`undefined`: none). The texts of every language are functions
 * of exactly these (`MessageCatalog`).
 */
export interface MessageParams {
  readonly ready: undefined;
  readonly inactive: undefined;
  readonly loginTooLate: undefined;
  readonly tooManyBadCommands: undefined;
  readonly tooManyConnections: undefined;
  readonly lineTooLong: undefined;
  readonly saslLineTooLong: undefined;
  readonly notUtf8: undefined;
  readonly controlCharacters: undefined;
  readonly unknownCommand: { readonly keyword: string };
  readonly oneSpace: { readonly keyword: string };
  readonly noArguments: { readonly keyword: string };
  readonly passNeedsPassword: undefined;
  readonly userNeedsName: undefined;
  readonly apopArguments: undefined;
  readonly apopDigest: undefined;
  readonly atMostOneNumber: { readonly keyword: string };
  readonly oneNumber: { readonly keyword: string };
  readonly topArguments: undefined;
  readonly invalidNumber: { readonly value: string };
  readonly invalidLineCount: { readonly value: string };
  readonly authArguments: undefined;
  readonly invalidMechanism: undefined;
  readonly langArguments: undefined;
  readonly invalidLanguageTag: undefined;
  readonly wrongState: { readonly keyword: string; readonly state: string };
  readonly sendPass: undefined;
  readonly noUser: undefined;
  readonly plaintextDisallowed: undefined;
  readonly prohibitedCharacter: undefined;
  readonly apopUnavailable: undefined;
  readonly mechanismList: undefined;
  readonly unsupportedMechanism: { readonly mechanism: string };
  readonly mechanismUnavailable: { readonly mechanism: string };
  readonly initialResponseBase64: undefined;
  readonly responseBase64: undefined;
  readonly authCancelled: undefined;
  readonly authFailed: undefined;
  /** `reason` is the SASL mechanism's diagnostic (RFC 3206 section 5: still `[AUTH]`). */
  readonly saslFailed: { readonly reason: string };
  readonly inUse: undefined;
  readonly loginDelay: undefined;
  readonly loginDelayWait: { readonly delay: number; readonly wait: number };
  readonly temporaryFailure: undefined;
  readonly maildropUnavailable: undefined;
  readonly loggedIn: { readonly count: number; readonly octets: number };
  readonly stlsUnavailable: undefined;
  readonly tlsActive: undefined;
  readonly beginTls: undefined;
  readonly utf8Enabled: undefined;
  readonly languageList: undefined;
  readonly languageUnsupported: { readonly range: string };
  /** RFC 6856 section 3: the text starts with the tag chosen. */
  readonly languageSet: { readonly tag: string };
  readonly capabilityList: undefined;
  readonly signingOff: undefined;
  readonly nothingToDo: undefined;
  readonly scanList: { readonly count: number; readonly octets: number };
  readonly uidList: undefined;
  readonly messageFollows: { readonly octets: number };
  readonly topFollows: undefined;
  readonly messageUnreadable: undefined;
  readonly noSuchMessage: { readonly message: number; readonly total: number };
  readonly messageIsDeleted: { readonly message: number };
  readonly deleted: { readonly message: number };
  readonly reset: { readonly count: number; readonly octets: number };
  readonly signingOffLeft: { readonly left: number };
  readonly deletesFailed: undefined;
}

/** The id of a response text. */
export type MessageId = keyof MessageParams;

/** The text function of message `K`: no argument, or its parameters. */
export type MessageText<K extends MessageId> = MessageParams[K] extends undefined
  ? () => string
  : (params: MessageParams[K]) => string;

/** The argument list of message `K`'s text function: `[]` or `[params]`. */
export type MessageArgs<K extends MessageId> = Parameters<MessageText<K>>;

/**
 * A language's texts: every id of `MessageParams`, each a function of its parameters. A
 * language that misses an id, adds one, or reads a parameter the id does not have fails `tsc`.
 */
export type MessageCatalog = { readonly [K in MessageId]: MessageText<K> };

/**
 * A response text as data: its id and parameters, to be put into words in the session's
 * language. For texts that pass through a host (`LoginOutcome.message`) or a parser
 * (`CommandParseError.response`).
 */
export type ServerMessage = {
  readonly [K in MessageId]: MessageParams[K] extends undefined
    ? { readonly id: K; readonly params?: undefined }
    : { readonly id: K; readonly params: MessageParams[K] };
}[MessageId];

/** The i-default texts. Ids name the situation, not the words. */
export const I_DEFAULT: MessageCatalog = {
  // Greeting, timeouts and limits.
  ready: () => "POP3 server ready",
  inactive: () => "Disconnected for inactivity",
  loginTooLate: () => "Too long without logging in",
  tooManyBadCommands: () => "Too many bad commands, closing connection",
  tooManyConnections: () => "Too many connections, try again later",
  lineTooLong: () => "Line too long",
  saslLineTooLong: () => "SASL response too long",

  // Command syntax (grammar/command.ts).
  notUtf8: () => "Command is not valid UTF-8",
  controlCharacters: () => "Command contains control characters",
  unknownCommand: ({ keyword }) =>
    keyword === "" ? "Unknown command" : `Unknown command: ${visible(keyword)}`,
  oneSpace: ({ keyword }) => `${keyword}: arguments are separated by one space`,
  noArguments: ({ keyword }) => `${keyword} takes no arguments`,
  passNeedsPassword: () => "PASS needs a password",
  userNeedsName: () => "USER takes one name",
  apopArguments: () => "APOP takes a name and a digest",
  apopDigest: () => "APOP digest must be 32 hex digits",
  atMostOneNumber: ({ keyword }) => `${keyword} takes at most one message number`,
  oneNumber: ({ keyword }) => `${keyword} takes one message number`,
  topArguments: () => "TOP takes a message number and a line count",
  invalidNumber: ({ value }) => `Invalid message number: ${visible(value)}`,
  invalidLineCount: ({ value }) => `Invalid line count: ${visible(value)}`,
  authArguments: () => "AUTH takes a mechanism and an optional initial response",
  invalidMechanism: () => "Invalid SASL mechanism name",
  langArguments: () => "LANG takes at most one language tag",
  invalidLanguageTag: () => "Invalid language tag",
  wrongState: ({ keyword, state }) => `${keyword} is not valid in the ${state} state`,

  // AUTHORIZATION.
  sendPass: () => "Send PASS",
  noUser: () => "No username given, send USER first",
  plaintextDisallowed: () => "Plaintext authentication disallowed on non-secure connections",
  prohibitedCharacter: () => "User name or password contains a character SASLprep prohibits",
  apopUnavailable: () => "APOP is not available",
  mechanismList: () => "Supported SASL mechanisms",
  unsupportedMechanism: ({ mechanism }) => `Unsupported SASL mechanism: ${visible(mechanism)}`,
  mechanismUnavailable: ({ mechanism }) =>
    `SASL mechanism not available on this connection: ${visible(mechanism)}`,
  initialResponseBase64: () => "Invalid base64 in initial response",
  responseBase64: () => "Invalid base64 in SASL response",
  authCancelled: () => "Authentication cancelled",
  authFailed: () => "Authentication failed",
  /** `reason` is the SASL mechanism's diagnostic (RFC 3206 section 5: still `[AUTH]`). */
  saslFailed: ({ reason }) => `Authentication failed: ${visible(reason, 200)}`,
  inUse: () => "Maildrop is locked by another POP3 session",
  loginDelay: () => "Logged in too recently, try again later",
  loginDelayWait: ({ delay, wait }) =>
    `Logged in too recently: logged in less than ${delay} s ago; wait ${wait} s`,
  temporaryFailure: () => "Temporary server failure, try again later",
  maildropUnavailable: () => "Maildrop unavailable",
  loggedIn: ({ count, octets }) =>
    `Logged in, ${count} ${plural(count, "message", "messages")} (${octets} octets)`,
  stlsUnavailable: () => "STLS is not available",
  tlsActive: () => "TLS is already active",
  beginTls: () => "Begin TLS negotiation",
  utf8Enabled: () => "UTF8 enabled",
  languageList: () => "Language listing follows",
  languageUnsupported: ({ range }) => `Language not supported: ${visible(range)}`,
  /** RFC 6856 section 3: the text starts with the tag chosen. */
  languageSet: ({ tag }) => `${tag} Language set`,
  capabilityList: () => "Capability list follows",
  signingOff: () => "POP3 server signing off",

  // TRANSACTION and UPDATE.
  nothingToDo: () => "Nothing to do",
  scanList: ({ count, octets }) =>
    `${count} ${plural(count, "message", "messages")} (${octets} octets)`,
  uidList: () => "Unique-ID listing follows",
  messageFollows: ({ octets }) => `${octets} octets`,
  topFollows: () => "Top of message follows",
  messageUnreadable: () => "Message could not be read",
  noSuchMessage: ({ message, total }) => `There is no message ${message}, only ${total}`,
  messageIsDeleted: ({ message }) => `Message ${message} is deleted`,
  deleted: ({ message }) => `Message ${message} deleted`,
  reset: ({ count, octets }) =>
    `Maildrop has ${count} ${plural(count, "message", "messages")} (${octets} octets)`,
  signingOffLeft: ({ left }) =>
    `POP3 server signing off (${left} ${plural(left, "message", "messages")} left)`,
  deletesFailed: () => "Some deleted messages not removed",
};
