import type { ServerCloseReason } from "../session/server-events.ts";
import type { ConnectionLimit } from "./connection-admission.ts";
import type { ServeEvent } from "./serve-connection.ts";

/**
 * What every runtime's transport counts for a connection: octets above TLS (clear text), each
 * way. A runtime may count more (@apop/node's `TransportStats` adds buffer peaks).
 */
export interface ConnectionStats {
  /** Octets received from the client. */
  readonly bytesRead: number;
  /** Octets sent to the client. */
  readonly bytesWritten: number;
}

/**
 * What a POP3 server host (`ServerHost`: @apop/node's `createPop3Server`, @apop/deno's `serve`)
 * reports to `onEvent`, for logs and metrics. Every event of one connection carries its
 * `connection` number. No event carries a password, a digest or a SASL response: core redacts
 * command text before it reaches `session-event`. `Stats` is the runtime transport's counters.
 */
export type ServerHostEvent<Stats extends ConnectionStats = ConnectionStats> =
  /** A connection was accepted (before the TLS handshake on an implicit TLS listener). */
  | {
      readonly type: "connection-opened";
      readonly connection: number;
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly localPort: number;
      readonly implicitTls: boolean;
    }
  /**
   * A connection over a limit. On a plain listener it got `-ERR [SYS/TEMP]` and was closed;
   * on an implicit TLS listener it was closed before any handshake work.
   */
  | {
      readonly type: "connection-refused";
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly limit: ConnectionLimit;
    }
  /** What core's `serveConnection` reported for this connection, in order, without secrets. */
  | {
      readonly type: "session-event";
      readonly connection: number;
      readonly event: ServeEvent;
    }
  /**
   * The connection is gone and its maildrop released. `reason` is core's, or `shutdown` when
   * `close()` cut the session off after its grace (then nothing was deleted).
   */
  | {
      readonly type: "connection-closed";
      readonly connection: number;
      readonly remoteAddress: string;
      readonly reason: ServerCloseReason | "shutdown";
      readonly user: string | null;
      readonly secure: boolean;
      /** The socket or TLS error that ended it, if any (never protocol content). */
      readonly error: string | null;
      /** Null when the implicit TLS handshake never completed. */
      readonly stats: Stats | null;
    }
  /** Accepting connections failed after the listener started (e.g. EMFILE: too many open files). */
  | { readonly type: "listener-error"; readonly error: Error };
