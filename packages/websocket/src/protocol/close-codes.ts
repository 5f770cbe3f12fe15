/**
 * The close codes that end a bridged WebSocket. 1000-1015 are RFC 6455 section 7.4.1; the
 * 4000-4999 range is the application's (section 7.4.2), used here as 4000 + the HTTP status
 * that says the same thing, so a code reads at a glance. Every close also carries a reason.
 */
export const CLOSE_CODES = {
  /** The session is over: the POP3 server or the page closed it. */
  normal: 1000,
  /** The bridge or listener is shutting down. */
  goingAway: 1001,
  /** A frame broke the framing rules: binary before the upstream description, or a bad one. */
  protocolError: 1002,
  /** A text frame where only binary frames may come: POP3 bytes travel in binary frames only. */
  unsupportedData: 1003,
  /** A frame larger than `maxFrameBytes` (ws closes with it by itself). */
  messageTooBig: 1009,
  /** Something failed inside the bridge. */
  internalError: 1011,
  /** Over the connection cap: try again later. */
  tryAgainLater: 1013,
  /** No target was named, or it was named badly. */
  badRequest: 4400,
  /** The target is not in the bridge's allow-list. Nothing was connected. */
  targetNotAllowed: 4403,
  /** Nothing moved in either direction for `idleTimeoutMs`. */
  idleTimeout: 4408,
  /** The connection passed its byte cap in one direction. */
  byteLimit: 4413,
  /** The POP3 server could not be reached, failed TLS, refused STLS or sent no greeting. */
  upstreamFailed: 4502,
  /** The POP3 server did not connect, finish TLS or greet in time. */
  upstreamTimeout: 4504,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** RFC 6455 section 5.5: a control frame's payload is at most 125 octets, 2 of them the code. */
const MAX_REASON_OCTETS = 123;

/**
 * A close reason that fits in a close frame: at most 123 octets of UTF-8, cut on a character
 * boundary with an ellipsis when longer (`ws` and browsers throw on a longer one).
 */
export function closeReason(text: string): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= MAX_REASON_OCTETS) return text;
  let cut = "";
  for (const character of text) {
    if (encoder.encode(`${cut}${character}…`).length > MAX_REASON_OCTETS) break;
    cut += character;
  }
  return `${cut}…`;
}
