import type { Clock } from "@apop/core";
import { withTimeLimit } from "@apop/core/internal";

/** A TLS connection whose handshake can be awaited (`Deno.TlsConn`, or the STLS server side). */
export interface HandshakeConn {
  handshake(): Promise<unknown>;
  close(): void;
}

/**
 * Runs a TLS handshake to its end, or gives up after `timeoutMs` (fetchmail CVE-2011-1947:
 * a peer that connects and says nothing must not hold a connection forever). Deno starts
 * the handshake lazily, on the first read or write; waiting for it here means a failure is
 * reported as such, before the first POP3 byte.
 *
 * Rejects, with the connection closed, with Deno's error for a failed handshake
 * (`InvalidData: invalid peer certificate: UnknownIssuer`, `...not valid for name...`) or
 * `RemoteProtocolError` `timeout`.
 */
export async function handshakeTls(options: {
  readonly conn: HandshakeConn;
  readonly timeoutMs: number;
  readonly clock: Clock;
}): Promise<void> {
  const { conn, timeoutMs, clock } = options;
  const handshake = conn.handshake();
  try {
    await withTimeLimit({ ms: timeoutMs, clock, what: "the TLS handshake", promise: handshake });
  } catch (error) {
    handshake.catch(() => {});
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    throw error;
  }
}
