import type { ServerMessage } from "../i18n/server-messages.ts";
import type { LoginProof } from "../auth/sasl/sasl-mechanism.ts";
import type { Keyword } from "../grammar/command.ts";
import type { Limits } from "../limits.ts";

/** Why a server session ended. */
export type ServerCloseReason =
  /** QUIT, in AUTHORIZATION or after UPDATE. */
  | "quit"
  /** The peer closed the connection (EOF). Nothing is deleted (RFC 1939 section 6). */
  | "peer-closed"
  /** The autologout timer, or the shorter timer before login, ran out (RFC 1939 section 3). */
  | "timeout"
  /** `Limits.badCommands` unknown, malformed or wrong-state commands. */
  | "too-many-bad-commands"
  /** `Limits.authFailures` failed logins. */
  | "too-many-auth-failures"
  /** The store failed after a message had started to go out; the reply cannot be finished. */
  | "store-failed"
  /** The TLS handshake after STLS failed. */
  | "tls-failed";

/**
 * What a `ServerSession` tells its host. Events that end in `-requested` are work for the
 * host: the session waits (and holds further pipelined input) until the matching completion
 * method is called.
 */
export type ServerEvent =
  /** A command line was parsed (for logs and counters; secrets are not included). */
  | { readonly type: "command-received"; readonly keyword: Keyword; readonly text: string }
  /** A line was refused with `-ERR` (unknown, malformed, wrong state, too long). */
  | { readonly type: "command-rejected"; readonly reason: string }
  /**
   * A SASL exchange (SCRAM) needs the user's credential before it can go on. The host looks
   * the user up and calls `completeCredential` (with null for no such user).
   */
  | { readonly type: "credential-requested"; readonly user: string; readonly mechanism: string }
  /**
   * A SASL exchange (OAUTHBEARER, XOAUTH2) carries a bearer token for `user`. The host asks
   * its `TokenValidator` and calls `completeToken` with the verdict. Never log `token`.
   */
  | {
      readonly type: "token-requested";
      readonly user: string;
      readonly mechanism: string;
      readonly token: string;
    }
  /**
   * Credentials to check. The host looks up the user, checks the proof with `verifyProof`,
   * opens the maildrop, then calls `completeLogin`. Every failure should take the same time.
   */
  | {
      readonly type: "login-requested";
      readonly user: string;
      readonly mechanism: string;
      readonly proof: LoginProof;
    }
  /**
   * A message to send (RETR, or TOP with `lines`). The host streams the stored bytes into
   * `sendBody` and calls `endBody`, or `failBody` if the store fails.
   */
  | {
      readonly type: "message-requested";
      readonly index: number;
      readonly message: number;
      readonly lines?: number;
    }
  /**
   * STLS was accepted. The host flushes the output (`+OK`), runs the server side of the TLS
   * handshake, then calls `completeTls`. Input the client sent after STLS was discarded.
   */
  | { readonly type: "tls-requested" }
  /**
   * QUIT in TRANSACTION entered UPDATE (RFC 1939 section 6). The host applies these deletes
   * (0-based indexes into the snapshot) and calls `completeUpdate`.
   */
  | { readonly type: "update-requested"; readonly deleted: readonly number[] }
  /** A limit was hit (`limits.ts`). The session has already answered the client. */
  | { readonly type: "limit-exceeded"; readonly limit: keyof Limits }
  /** The session is over. The host flushes the output, closes the connection, and, unless the
   * session went through UPDATE, releases the maildrop without deleting anything. */
  | { readonly type: "session-closed"; readonly reason: ServerCloseReason };

/** The host's answer to `login-requested`. */
export type LoginOutcome =
  | {
      readonly ok: true;
      readonly messages: readonly { readonly size: number; readonly uid: string }[];
    }
  | {
      readonly ok: false;
      /** `auth`: wrong credentials or unknown user; the others come from the store or policy. */
      readonly reason: "auth" | "in-use" | "sys-temp" | "sys-perm" | "login-delay";
      /** The host's own words for the `-ERR` line, sent as they are (any language, no catalog). */
      readonly text?: string;
      /**
       * A text of apop's catalog for the `-ERR` line instead of the reason's default, put into
       * the session's language (`loginDelayWait` for LOGIN-DELAY, say). `text` wins.
       */
      readonly message?: ServerMessage;
    };

/** The host's answer to `update-requested`. */
export type UpdateOutcome = { readonly ok: true } | { readonly ok: false; readonly text?: string };
