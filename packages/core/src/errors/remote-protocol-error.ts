import { ApopError, isNamedApopError } from "./apop-error.ts";

export type RemoteProtocolErrorCode =
  /** A line was longer than the limit in force (`limits.ts`). */
  | "line-too-long"
  /** A response did not follow the grammar of RFC 1939 section 3 / RFC 2449 section 8. */
  | "bad-response"
  /** The greeting was not `+OK`, or it was missing. */
  | "bad-greeting"
  /** APOP was asked for but the greeting has no strict msg-id timestamp (CVE-2007-1558). */
  | "bad-timestamp"
  /** Bytes arrived while no command was pending (RFC 2449 section 6.6: replies come in order). */
  | "unexpected-data"
  /** A message grew past the size the caller allowed. */
  | "message-too-large"
  /** The peer closed the connection before the exchange was complete. */
  | "connection-closed"
  /** TLS was required but the server does not offer it or refused STLS (RFC 2595 section 4). */
  | "tls-unavailable"
  /** The peer did not answer in time. */
  | "timeout"
  /**
   * A SASL challenge made no sense to our mechanism (malformed, or a SCRAM server signature
   * that proves the server does not know the password); the exchange was cancelled with `*`.
   */
  | "sasl-cancelled"
  /** A SCRAM server said `+OK` without its signature (RFC 5802 section 3): not verified. */
  | "server-not-verified";

/** The peer misbehaved (h11's `RemoteProtocolError`). */
export class RemoteProtocolError extends ApopError {
  declare readonly code: RemoteProtocolErrorCode;

  constructor(options: { code: RemoteProtocolErrorCode; message: string; cause?: unknown }) {
    super({ name: "RemoteProtocolError", ...options });
  }

  static override isInstance(error: unknown): error is RemoteProtocolError {
    return isNamedApopError(error, "RemoteProtocolError");
  }
}
