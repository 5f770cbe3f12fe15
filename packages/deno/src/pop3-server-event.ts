import type { ServeEvent, ServerCloseReason } from "@apop/core";

/**
 * What a `serve` server reports to `onEvent`, for logs and metrics: the same shape as
 * @apop/node's `Pop3ServerEvent`. Every event of one connection carries its `connection`
 * number. No event carries a password, a digest or a SASL response.
 */
export type Pop3ServerEvent =
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
      readonly limit: "maxConnections" | "maxConnectionsPerAddress";
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
      /** The connection or TLS error that ended it, if any (never protocol content). */
      readonly error: string | null;
      /** Octets above TLS; null when the implicit TLS handshake never completed. */
      readonly stats: { readonly bytesRead: number; readonly bytesWritten: number } | null;
    }
  /** Accepting failed after `serve` returned (e.g. too many open files). */
  | { readonly type: "listener-error"; readonly error: Error };
