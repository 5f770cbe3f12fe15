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
  /** i-default: "POP3 server ready". */
  readonly ready: undefined;
  /** i-default: "Disconnected for inactivity". */
  readonly inactive: undefined;
  /** i-default: "Too long without logging in". */
  readonly loginTooLate: undefined;
  /** i-default: "Too many bad commands, closing connection". */
  readonly tooManyBadCommands: undefined;
  /** i-default: "Too many connections, try again later". */
  readonly tooManyConnections: undefined;
  /** i-default: "Line too long". */
  readonly lineTooLong: undefined;
  /** i-default: "SASL response too long". */
  readonly saslLineTooLong: undefined;
  /** i-default: "Command is not valid UTF-8". */
  readonly notUtf8: undefined;
  /** i-default: "Command contains control characters". */
  readonly controlCharacters: undefined;
  /** i-default: "Unknown command: {keyword}". */
  readonly unknownCommand: { readonly keyword: string };
  /** i-default: "{keyword}: arguments are separated by one space". */
  readonly oneSpace: { readonly keyword: string };
  /** i-default: "{keyword} takes no arguments". */
  readonly noArguments: { readonly keyword: string };
  /** i-default: "PASS needs a password". */
  readonly passNeedsPassword: undefined;
  /** i-default: "USER takes one name". */
  readonly userNeedsName: undefined;
  /** i-default: "APOP takes a name and a digest". */
  readonly apopArguments: undefined;
  /** i-default: "APOP digest must be 32 hex digits". */
  readonly apopDigest: undefined;
  /** i-default: "{keyword} takes at most one message number". */
  readonly atMostOneNumber: { readonly keyword: string };
  /** i-default: "{keyword} takes one message number". */
  readonly oneNumber: { readonly keyword: string };
  /** i-default: "TOP takes a message number and a line count". */
  readonly topArguments: undefined;
  /** i-default: "Invalid message number: {value}". */
  readonly invalidNumber: { readonly value: string };
  /** i-default: "Invalid line count: {value}". */
  readonly invalidLineCount: { readonly value: string };
  /** i-default: "AUTH takes a mechanism and an optional initial response". */
  readonly authArguments: undefined;
  /** i-default: "Invalid SASL mechanism name". */
  readonly invalidMechanism: undefined;
  /** i-default: "LANG takes at most one language tag". */
  readonly langArguments: undefined;
  /** i-default: "Invalid language tag". */
  readonly invalidLanguageTag: undefined;
  /** i-default: "{keyword} is not valid in the {state} state". */
  readonly wrongState: { readonly keyword: string; readonly state: string };
  /** i-default: "Send PASS". */
  readonly sendPass: undefined;
  /** i-default: "No username given, send USER first". */
  readonly noUser: undefined;
  /** i-default: "Plaintext authentication disallowed on non-secure connections". */
  readonly plaintextDisallowed: undefined;
  /** i-default: "User name or password contains a character SASLprep prohibits". */
  readonly prohibitedCharacter: undefined;
  /** i-default: "APOP is not available". */
  readonly apopUnavailable: undefined;
  /** i-default: "Supported SASL mechanisms". */
  readonly mechanismList: undefined;
  /** i-default: "Unsupported SASL mechanism: {mechanism}". */
  readonly unsupportedMechanism: { readonly mechanism: string };
  /** i-default: "SASL mechanism not available on this connection: {mechanism}". */
  readonly mechanismUnavailable: { readonly mechanism: string };
  /** i-default: "Invalid base64 in initial response". */
  readonly initialResponseBase64: undefined;
  /** i-default: "Invalid base64 in SASL response". */
  readonly responseBase64: undefined;
  /** i-default: "Authentication cancelled". */
  readonly authCancelled: undefined;
  /** i-default: "Authentication failed". */
  readonly authFailed: undefined;
  /**
   * i-default: "Authentication failed: {reason}"; `reason` is the SASL mechanism's diagnostic
   * (RFC 3206 section 5: still `[AUTH]`).
   */
  readonly saslFailed: { readonly reason: string };
  /** i-default: "Maildrop is locked by another POP3 session". */
  readonly inUse: undefined;
  /** i-default: "Logged in too recently, try again later". */
  readonly loginDelay: undefined;
  /** i-default: "Logged in too recently: logged in less than {delay} s ago; wait {wait} s". */
  readonly loginDelayWait: { readonly delay: number; readonly wait: number };
  /** i-default: "Temporary server failure, try again later". */
  readonly temporaryFailure: undefined;
  /** i-default: "Maildrop unavailable". */
  readonly maildropUnavailable: undefined;
  /** i-default: "Logged in, {count} messages ({octets} octets)". */
  readonly loggedIn: { readonly count: number; readonly octets: number };
  /** i-default: "STLS is not available". */
  readonly stlsUnavailable: undefined;
  /** i-default: "TLS is already active". */
  readonly tlsActive: undefined;
  /** i-default: "Begin TLS negotiation". */
  readonly beginTls: undefined;
  /** i-default: "UTF8 enabled". */
  readonly utf8Enabled: undefined;
  /** i-default: "Language listing follows". */
  readonly languageList: undefined;
  /** i-default: "Language not supported: {range}". */
  readonly languageUnsupported: { readonly range: string };
  /** i-default: "{tag} Language set"; RFC 6856 section 3: the text starts with the tag chosen. */
  readonly languageSet: { readonly tag: string };
  /** i-default: "Capability list follows". */
  readonly capabilityList: undefined;
  /** i-default: "POP3 server signing off". */
  readonly signingOff: undefined;
  /** i-default: "Nothing to do". */
  readonly nothingToDo: undefined;
  /** i-default: "{count} messages ({octets} octets)". */
  readonly scanList: { readonly count: number; readonly octets: number };
  /** i-default: "Unique-ID listing follows". */
  readonly uidList: undefined;
  /** i-default: "{octets} octets". */
  readonly messageFollows: { readonly octets: number };
  /** i-default: "Top of message follows". */
  readonly topFollows: undefined;
  /** i-default: "Message could not be read". */
  readonly messageUnreadable: undefined;
  /** i-default: "There is no message {message}, only {total}". */
  readonly noSuchMessage: { readonly message: number; readonly total: number };
  /** i-default: "Message {message} is deleted". */
  readonly messageIsDeleted: { readonly message: number };
  /** i-default: "Message {message} deleted". */
  readonly deleted: { readonly message: number };
  /** i-default: "Maildrop has {count} messages ({octets} octets)". */
  readonly reset: { readonly count: number; readonly octets: number };
  /** i-default: "POP3 server signing off ({left} messages left)". */
  readonly signingOffLeft: { readonly left: number };
  /** i-default: "Some deleted messages not removed". */
  readonly deletesFailed: undefined;
}

/** The id of a response text. */
export type MessageId = keyof MessageParams;

/** The ids of the messages without parameters. */
export type PlainMessageId = {
  [K in MessageId]: MessageParams[K] extends undefined ? K : never;
}[MessageId];

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
