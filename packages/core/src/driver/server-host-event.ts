import type { ProxyRefusal } from "../proxy/read-proxy-header.ts";
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
      /**
       * The balancer's address when a PROXY header named the client (`remoteAddress` is then
       * the client's), or when a v2 LOCAL header said the balancer speaks for itself.
       */
      readonly proxiedBy: string | null;
    }
  /**
   * A PROXY header problem (`proxyProtocol`): a trusted balancer sent none, a broken one or
   * none in time, or an untrusted peer sent one. The connection was closed. `remoteAddress`
   * is the peer's own.
   */
  | {
      readonly type: "proxy-refused";
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly refusal: ProxyRefusal;
      readonly detail: string;
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
      /** The client's address, normalized, as in `connection-opened`. */
      readonly remoteAddress: string;
      readonly event: ServeEvent;
    }
  /**
   * The connection is gone and its maildrop released. `reason` is core's, or `shutdown` when
   * `close()` cut the session off after its grace (then nothing was deleted), or
   * `pre-login-evicted` when it was dropped before login to make room for a new connection
   * (`maxPreLoginConnections`).
   */
  | {
      readonly type: "connection-closed";
      readonly connection: number;
      readonly remoteAddress: string;
      readonly remotePort: number;
      readonly reason: ServerCloseReason | "shutdown" | "pre-login-evicted";
      readonly user: string | null;
      readonly secure: boolean;
      /** The socket or TLS error that ended it, if any (never protocol content). */
      readonly error: string | null;
      /** Null when the implicit TLS handshake never completed. */
      readonly stats: Stats | null;
      /** Commands received, by keyword (`ServeResult.commands`); none after a failed handshake. */
      readonly commands: Readonly<Record<string, number>>;
      /** Messages sent whole or in part (RETR, TOP). */
      readonly messagesSent: number;
      /** Octets of those messages as the store gave them (before dot-stuffing and CRLF). */
      readonly messageOctets: number;
      /** Messages deleted by an UPDATE that succeeded. */
      readonly deleted: number;
    }
  /**
   * Something threw while the connection started or ran (a session that could not be made,
   * a bug in a store): the connection was closed at once and counted out. The host's fault,
   * not the peer's, so a log shows it as an error. No `connection-closed` follows.
   */
  | {
      readonly type: "connection-failed";
      readonly connection: number;
      readonly remoteAddress: string;
      readonly error: Error;
    }
  /** Accepting connections failed after the listener started (e.g. EMFILE: too many open files). */
  | { readonly type: "listener-error"; readonly error: Error };
