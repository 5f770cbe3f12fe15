/**
 * The one interface every SASL mechanism implements (RFC 4422 section 3, profiled for POP3 by
 * RFC 5034), on both sides. A mechanism is only the exchange of opaque byte strings; the
 * session owns the wire:
 * - it base64-encodes challenges into `+ ` lines and decodes responses (RFC 5034 section 4),
 *   refusing bad base64 before a mechanism sees it;
 * - it turns the `=` that stands for an empty initial response into an empty `Uint8Array`,
 *   and a missing initial response into `null`, before the first `step`;
 * - it handles the client's `*` cancel itself (no `step` is called), and the 255-octet line
 *   limit that decides whether a client may send its initial response on the AUTH line.
 *
 * Mechanisms never look at credentials. A server exchange ends in `success` with a
 * `LoginProof`, which `verifyProof` checks against the host's `Credential`; so every mechanism
 * fails the same way for a wrong password and for an unknown user.
 */

import type { Credential } from "../credential.ts";
import type { TokenVerdict } from "../token-validator.ts";
import type { ChannelBinding } from "./channel-binding.ts";

/** What a successful exchange proves; checked against a Credential by verifyProof. */
export type LoginProof =
  | { readonly kind: "password"; readonly password: string }
  | { readonly kind: "apop"; readonly timestamp: string; readonly digest: string }
  | { readonly kind: "cram-md5"; readonly challenge: string; readonly digest: string }
  | {
      /**
       * SCRAM-SHA-256 (RFC 5802 section 3): the ClientProof over the AuthMessage, with the
       * salt and iteration count the server announced (which a clear secret needs).
       */
      readonly kind: "scram-sha-256";
      readonly authMessage: Uint8Array;
      readonly clientProof: Uint8Array;
      readonly salt: Uint8Array;
      readonly iterations: number;
    }
  | {
      /**
       * A bearer token (OAUTHBEARER, XOAUTH2) the host's `TokenValidator` judged during the
       * exchange: accepted (nothing is left to check against a credential), or `refused`
       * with the validator's reason, so the failure takes the path of every wrong password
       * (the delay, the log line with the client's address).
       */
      readonly kind: "token";
      readonly mechanism: string;
      readonly refused?: string;
    };

/**
 * What a server exchange says after each client response.
 * - `challenge`: send these bytes as a `+ ` continuation and wait for the next response;
 * - `success`: the exchange is complete; `proof` still has to pass `verifyProof`. `authzid`
 *   is set only when the client named one (and it equals `user`: we do no proxy login);
 * - `failure`: the client's data was malformed or out of turn. `reason` is for logs only: the
 *   client gets the same `-ERR` as for a wrong password (RFC 1939 section 13 advice, and
 *   so every failure looks the same to the client).
 */
export type SaslServerStep =
  | { readonly type: "challenge"; readonly data: Uint8Array }
  | {
      readonly type: "success";
      readonly user: string;
      readonly authzid?: string;
      readonly proof: LoginProof;
    }
  | { readonly type: "failure"; readonly reason: string }
  /**
   * The exchange cannot go on without the user's credential (SCRAM needs the salt and
   * iteration count before its first challenge). The session asks the host
   * (`credential-requested`) and hands the answer to `credential`.
   */
  | { readonly type: "credential-needed"; readonly user: string }
  /**
   * The exchange carries a bearer token for `user` (OAUTHBEARER, XOAUTH2). The session asks
   * the host (`token-requested`), whose `TokenValidator` verdict goes to `token`.
   */
  | { readonly type: "token-needed"; readonly user: string; readonly token: string };

/** One server-side exchange. After `success` or `failure`, any further `step` is a failure. */
export interface SaslServerExchange {
  /**
   * Feeds the next client response. The first call gets the initial response, or `null` when
   * the client gave none (an empty initial response, `=`, is an empty array, not `null`).
   * `null` on a later call is a failure.
   */
  step(response: Uint8Array | null): SaslServerStep;
  /** Answers `credential-needed` (`null`: no such user). Only mechanisms that ask have it. */
  credential?(credential: Credential | null): SaslServerStep;
  /** Answers `token-needed`. Only mechanisms that ask have it. */
  token?(verdict: TokenVerdict): SaslServerStep;
}

/** What the session tells a server mechanism when an exchange starts. */
export interface SaslServerContext {
  /** A fresh msg-id-style string, used by CRAM-MD5 (RFC 2195). */
  readonly challenge: string;
  /** Cryptographically strong random bytes (SCRAM's server nonce). */
  readonly randomBytes: (length: number) => Uint8Array;
  /**
   * A key that stays the same for the whole server (not per connection), from which SCRAM
   * derives the salt it shows for unknown users and clear secrets, so that asking twice gives
   * the same answer and SCRAM does not reveal which users exist.
   */
  readonly secret: Uint8Array;
  /**
   * This connection's channel binding data when the server offers a `-PLUS` mechanism on it
   * (the transport has the data and the policy lists one), else null. SCRAM refuses a client
   * that says `y` when this is set (RFC 5802 section 6).
   */
  readonly channelBinding: ChannelBinding | null;
}

/** A server-side mechanism. Stateless; `start` makes one exchange per AUTH command. */
export interface SaslServerMechanism {
  /** The registered name in upper case (RFC 4422 section 3.1), e.g. "PLAIN". */
  readonly name: string;
  /**
   * True for PLAIN and LOGIN: the password crosses the wire, so they are offered only where
   * plaintext logins are allowed, normally inside TLS (RFC 2595 section 2.3, RFC 4616 section 5).
   */
  readonly sendsPlaintextPassword: boolean;
  /**
   * True for CRAM-MD5: only a clear secret can check it, so it is offered only where the
   * user source can hold clear secrets.
   */
  readonly needsClearSecret?: boolean;
  /** True for SCRAM-SHA-256-PLUS: offered only where the transport gives channel binding data. */
  readonly needsChannelBinding?: boolean;
  /** True for OAUTHBEARER and XOAUTH2: offered only where the host has a `TokenValidator`. */
  readonly needsTokenValidator?: boolean;
  /** Begins one exchange, with what the connection knows (binding data, validator, names). */
  start(context: SaslServerContext): SaslServerExchange;
}

/**
 * What a client exchange answers to a server challenge.
 * - `response`: send these bytes (base64-encoded by the session);
 * - `cancel`: the challenge makes no sense for this mechanism (out of turn, malformed); the
 *   session sends `*` to cancel (RFC 5034 section 4) and reports `reason`.
 */
export type SaslClientStep =
  | { readonly type: "response"; readonly data: Uint8Array }
  | { readonly type: "cancel"; readonly reason: string };

/** One client-side exchange. */
export interface SaslClientExchange {
  /**
   * The initial response to put on the AUTH line, or `null` if the mechanism starts by waiting
   * for a challenge. A session that does not send it (too long for the line) instead answers
   * the server's empty challenge with `step`, which then gives the same bytes.
   */
  initialResponse(): Uint8Array | null;
  /** Answers one server challenge (already base64-decoded). */
  step(challenge: Uint8Array): SaslClientStep;
}

/** A client-side mechanism. Stateless; `start` makes one exchange per AUTH command. */
export interface SaslClientMechanism {
  /** The registered name in upper case, e.g. "PLAIN". */
  readonly name: string;
  /** True for PLAIN and LOGIN: use them only where sending the password is acceptable. */
  readonly sendsPlaintextPassword: boolean;
  /**
   * Starts an exchange. Throws `RangeError` for credentials the mechanism cannot carry
   * (a NUL in a PLAIN field, an empty user name, a field over 255 octets).
   */
  start(credentials: SaslClientCredentials): SaslClientExchange;
  /** True for SCRAM-SHA-256-PLUS: usable only with channel binding data. */
  readonly needsChannelBinding?: boolean;
  /**
   * True for SCRAM, which tells the server whether it could have bound (the gs2 flag, RFC 5802
   * section 6): the client must know the server's mechanism list before it starts.
   */
  readonly signalsChannelBinding?: boolean;
}

/** What a client mechanism starts from. */
export interface SaslClientCredentials {
  /** The user to log in as (the authentication identity). */
  readonly user: string;
  /** The password, or for OAUTHBEARER and XOAUTH2 the bearer token. */
  readonly password: string;
  /** The identity to act as, when it differs from `user` (RFC 4616, RFC 5802). */
  readonly authzid?: string;
  /** Cryptographically strong random bytes (SCRAM's client nonce). Required by SCRAM. */
  readonly randomBytes?: (length: number) => Uint8Array;
  /** This connection's channel binding data, where the transport has it (TLS). */
  readonly channelBinding?: ChannelBinding | null;
}

/** A client exchange that can tell whether the server proved itself (SCRAM's `v=`). */
export interface SaslClientVerifier {
  /** True once the server's final message was checked; false if `+OK` came first. */
  serverVerified(): boolean;
}
