import type { ChannelBinding } from "../auth/sasl/channel-binding.ts";
import type { ConnectionStats } from "./server-host-event.ts";

/**
 * The one interface a runtime package implements to run POP3 over its sockets
 * (docs/design.md: each adapter is only a transport). It carries bytes and nothing else.
 */
export interface Transport {
  /**
   * The next chunk received, or `null` once the peer has closed its side or the transport
   * was closed. Only one read is outstanding at a time. The chunk is the reader's: the
   * transport never reuses or changes its bytes afterwards (`Pop3Client` hands body chunks,
   * views of it, to its caller to keep or rewrite).
   */
  read(): Promise<Uint8Array | null>;
  /** Sends bytes; resolves when the runtime has taken them (backpressure: wait before the next write). */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * True when `write` resolves only once the runtime is done with the bytes (written to the
   * socket, or copied), so the caller may reuse their memory. `serveConnection` then sends a
   * large message through one reused buffer instead of a fresh one per chunk
   * (docs/performance.md). Absent: bytes may be held after `write` resolved; never reused.
   */
  readonly releasesWrittenBytes?: boolean;
  /**
   * Upgrades this connection to TLS in place (STLS, RFC 2595 section 4): the client side as a
   * TLS client (verifying the server as configured), the server side as a TLS server. Any
   * bytes received in clear and not yet read are discarded; after it resolves, `read` returns
   * only decrypted bytes. Absent where the transport cannot upgrade.
   */
  upgrade?(): Promise<void>;
  /** Closes the connection (after flushing what was written). Idempotent. */
  close(): Promise<void>;
  /** True when the bytes travel inside TLS (implicit TLS, or after `upgrade`). */
  readonly secure: boolean;
  /**
   * The TLS channel binding data (RFC 5056) for SCRAM-SHA-256-PLUS, or null (no TLS yet, or
   * the runtime exposes neither an exporter nor the certificate). `tls-exporter` (RFC 9266)
   * on TLS 1.3, `tls-server-end-point` (RFC 5929) otherwise. Absent: no binding ever.
   */
  channelBinding?(): ChannelBinding | null;
  /**
   * Drops the connection at once, without flushing: pending writes reject, reads return null.
   * `ServerHost` uses it for `close()` after the grace period and to evict a connection not
   * logged in yet (else what `admit` was given).
   */
  abort?(): void;
  /** The socket or TLS error that ended the connection, if any, for logs (`connection-closed`). */
  readonly lastError?: unknown;
  /** Counters for logs and `ServerHost.connections()` (`connection-closed`). */
  readonly stats?: ConnectionStats;
}

/**
 * Time, handed in by the runtime package: core reads no clock and starts no timer itself.
 */
export interface Clock {
  /** Milliseconds, from any fixed origin. */
  now(): number;
  /** Calls `callback` after `ms` milliseconds; the returned function cancels it. */
  setTimer(ms: number, callback: () => void): () => void;
}
