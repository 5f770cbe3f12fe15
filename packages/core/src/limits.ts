/**
 * Every size, time and abuse limit of a session, in one place (imapflow `limits.js`). Each has
 * an RFC-minded default and can be overridden per session; the hosts check overrides at their
 * option boundary (`resolveServerHostOptions`), never in the byte path, and apop-server's
 * config schema reads its defaults from here. Breaching one yields an event or an error whose
 * `limit` names the field below. The defaults around a session (ports, connection caps,
 * handshake timeouts) are `DEFAULTS` (defaults.ts).
 */
export interface Limits {
  /**
   * Longest command line the server accepts, CRLF included. RFC 2449 section 4: at least 255
   * octets once CAPA is supported. Default 1 KiB.
   */
  readonly commandLineOctets: number;
  /**
   * Longest SASL response line during AUTH (RFC 5034 section 4). Exempt from the command limit
   * because tokens such as OAuth bearer tokens run long. Default 16 KiB.
   */
  readonly saslLineOctets: number;
  /**
   * Longest status line or listing line the client accepts, CRLF included. RFC 2449 section 4
   * caps the first line of a response at 512 octets; real servers overshoot, so the client is
   * generous. Default 8 KiB.
   */
  readonly responseLineOctets: number;
  /**
   * Largest multi-line listing the client holds in memory (CAPA, LIST, UIDL, LANG, the AUTH
   * listing), in octets. Message bodies stream and are never held; a listing is, so a server
   * that never ends one (or answers CAPA with a million lines) must meet a limit. Default
   * 32 MiB: about 400,000 UIDL lines with 70-octet unique-ids.
   */
  readonly listingOctets: number;
  /** Unknown or malformed commands a server session tolerates before it closes. Default 10. */
  readonly badCommands: number;
  /** Failed authentications in one session before the server closes it. Default 3. */
  readonly authFailures: number;
  /**
   * Inactivity allowed in AUTHORIZATION before the server closes, in ms. A short timer before
   * login keeps idle unauthenticated connections cheap. Default 60 s.
   */
  readonly authorizationTimeoutMs: number;
  /**
   * Longest time from the greeting to a successful login, in ms, however busy the client
   * keeps the connection. `authorizationTimeoutMs` alone lets a client that sends `CAPA` every
   * minute (or a valid command one byte at a time) hold an unauthenticated connection for
   * ever. Dovecot likewise drops clients not logged in after `CLIENT_LOGIN_TIMEOUT_MSECS`, 3
   * minutes (its admin manual, "Timeouts"). Never less than `authorizationTimeoutMs`. Default
   * 3 minutes.
   */
  readonly loginDeadlineMs: number;
  /**
   * Inactivity allowed in TRANSACTION, in ms. RFC 1939 section 3: at least 10 minutes; lower
   * values are raised to 10 minutes. Default 10 minutes.
   */
  readonly idleTimeoutMs: number;
  /**
   * Longest silence a client session waits through while the server owes it a reply (or the
   * greeting), in ms; any bytes of the reply restart it, so a slow reply that keeps moving is
   * not cut off. Default 60 s.
   */
  readonly replyTimeoutMs: number;
  /**
   * Octets of replies a server session produces from pipelined input before it waits for the
   * host to take them (`hasDeferredInput`). Six octets of `UIDL\r\n` can ask for megabytes:
   * past the budget the rest of the input waits, so a client that pipelines and never reads
   * meets TCP backpressure instead of growing the server's memory. One reply may exceed it (a
   * long listing); many cannot. Default 64 KiB.
   */
  readonly replyBudgetOctets: number;
  /**
   * Octets of pipelined input a server session holds while it waits for the host (an
   * authentication or a message body in progress). Past it the session stops reading: the
   * host sees `inputPaused` and applies backpressure. Default 64 KiB.
   */
  readonly pipelinedInputOctets: number;
}

/**
 * RFC 2449 section 4: a server that supports CAPA accepts command lines of at least 255
 * octets, CRLF included; RFC 5034 section 4 keeps an AUTH line with its initial response
 * within the same 255.
 */
export const MIN_COMMAND_LINE_OCTETS = 255;

/** RFC 1939 section 3: an autologout timer, if any, must be at least 10 minutes. */
export const MIN_IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/** Frozen: `resolveLimits` answers one object per overrides object, so none may change later. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  commandLineOctets: 1024,
  saslLineOctets: 16 * 1024,
  responseLineOctets: 8 * 1024,
  listingOctets: 32 * 1024 * 1024,
  badCommands: 10,
  authFailures: 3,
  authorizationTimeoutMs: 60 * 1000,
  loginDeadlineMs: 3 * 60 * 1000,
  idleTimeoutMs: MIN_IDLE_TIMEOUT_MS,
  replyTimeoutMs: 60 * 1000,
  replyBudgetOctets: 64 * 1024,
  pipelinedInputOctets: 64 * 1024,
});

/**
 * What `resolveLimits` answered for each overrides object it was given. A server passes the
 * same overrides to every session (and each session resolves them twice: the driver and the
 * session), so 10,000 idle sessions share one frozen object instead of holding 20,000 equal
 * copies of some 120 bytes each. Weak: overrides dropped by their owner are dropped here too.
 */
const resolved = new WeakMap<Partial<Limits>, Limits>();

/**
 * Fills in defaults and enforces the floors the RFCs set. The answer is frozen, and the same
 * object for the same `overrides` object: change a server's limits by passing a new one.
 */
export function resolveLimits(overrides: Partial<Limits> = DEFAULT_LIMITS): Limits {
  let limits = resolved.get(overrides);
  if (limits === undefined) {
    limits = Object.freeze(applyFloors({ ...DEFAULT_LIMITS, ...overrides }));
    resolved.set(overrides, limits);
  }
  return limits;
}

function applyFloors(limits: Limits): Limits {
  return {
    ...limits,
    // RFC 2449 section 4: a CAPA server must accept command lines of 255 octets.
    commandLineOctets: Math.max(limits.commandLineOctets, MIN_COMMAND_LINE_OCTETS),
    saslLineOctets: Math.max(
      limits.saslLineOctets,
      limits.commandLineOctets,
      MIN_COMMAND_LINE_OCTETS,
    ),
    // RFC 2449 section 4: a response's first line may be 512 octets.
    responseLineOctets: Math.max(limits.responseLineOctets, 512),
    idleTimeoutMs: Math.max(limits.idleTimeoutMs, MIN_IDLE_TIMEOUT_MS),
    loginDeadlineMs: Math.max(limits.loginDeadlineMs, limits.authorizationTimeoutMs),
    badCommands: Math.max(limits.badCommands, 1),
    authFailures: Math.max(limits.authFailures, 1),
  };
}

/**
 * Default cap on one message a client downloads, in octets, whatever LIST announced: a server
 * that announces 10^12 octets (or streams without end) must not fill the disk. 100 MiB, far
 * above what mail systems accept (Postfix's `message_size_limit` defaults to 10 MB), like
 * fetchmail's `limit`. apop's `--max-message-size` reads it from here.
 */
export const DEFAULT_MAX_MESSAGE_OCTETS = 100 * 1024 * 1024;

/**
 * Default for how long a WebSocket endpoint's own HTTP server (the bridge, the WebSocket
 * listener) waits for a whole request, TLS handshake and WebSocket upgrade included, in ms.
 * Node's own defaults (60 s for headers, checked every 30 s; 120 s for a TLS handshake) let a
 * request that never finishes hold a socket for a minute or more.
 */
export const DEFAULT_WEB_REQUEST_TIMEOUT_MS = 5_000;
