import { X509Certificate } from "node:crypto";
import type * as tls from "node:tls";
import type { ChannelBinding } from "@apop/core";
import { tlsServerEndPoint as coreTlsServerEndPoint } from "@apop/core/internal";

/**
 * The channel binding data of a finished TLS handshake, for SCRAM-SHA-256-PLUS (RFC 5802
 * section 6). Core never sees the TLS session; the transport hands it this.
 *
 * - TLS 1.3: `tls-exporter` (RFC 9266 section 2): 32 octets from the exporter with the label
 *   `EXPORTER-Channel-Binding` and an empty context.
 * - TLS 1.2 and below: `tls-server-end-point` (RFC 5929 section 4.1): the hash of the server's
 *   certificate (ours on the server side, the peer's on the client side), with the hash of
 *   the certificate's signature algorithm, or SHA-256 when that is MD5 or SHA-1 (or unknown).
 *
 * Null when the socket has no finished handshake or no certificate to hash.
 */
export function tlsChannelBinding({
  socket,
  side,
}: {
  socket: tls.TLSSocket;
  side: "client" | "server";
}): ChannelBinding | null {
  const protocol = socket.getProtocol();
  if (protocol === null) return null;
  if (protocol === "TLSv1.3") {
    const data = socket.exportKeyingMaterial(32, "EXPORTER-Channel-Binding", Buffer.alloc(0));
    return { type: "tls-exporter", data: new Uint8Array(data) };
  }
  const certificate =
    side === "server" ? socket.getX509Certificate() : socket.getPeerX509Certificate();
  if (certificate === undefined) return null;
  return { type: "tls-server-end-point", data: tlsServerEndPoint(certificate.raw) };
}

/** RFC 5929 section 4.1's hash of a DER certificate: core's `tlsServerEndPoint`. */
export function tlsServerEndPoint(der: Uint8Array): Uint8Array {
  return coreTlsServerEndPoint({ certificate: der });
}

/** For tests: the certificate behind a PEM string. */
export function certificateDer(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).raw);
}
