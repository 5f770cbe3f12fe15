import { createHash, X509Certificate } from "node:crypto";
import type * as tls from "node:tls";
import type { ChannelBinding } from "@apop/core";

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

/** RFC 5929 section 4.1's hash of a DER certificate. */
export function tlsServerEndPoint(der: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(endPointHash(der)).update(der).digest());
}

/** Signature algorithm OIDs (DER content octets, hex) whose hash is stronger than SHA-256. */
const STRONGER: Record<string, "sha384" | "sha512"> = {
  "2a864886f70d01010c": "sha384", // sha384WithRSAEncryption
  "2a864886f70d01010d": "sha512", // sha512WithRSAEncryption
  "2a8648ce3d040303": "sha384", // ecdsa-with-SHA384
  "2a8648ce3d040304": "sha512", // ecdsa-with-SHA512
};

/**
 * The hash of the certificate's `signatureAlgorithm` (the second element of the outer
 * SEQUENCE, RFC 5280 section 4.1.1.2), mapped as RFC 5929 section 4.1 says: SHA-384 and
 * SHA-512 stay, everything else (MD5, SHA-1, SHA-256, RSASSA-PSS, EdDSA) is SHA-256.
 */
function endPointHash(der: Uint8Array): "sha256" | "sha384" | "sha512" {
  try {
    let at = header(der, 0).content; // Certificate SEQUENCE
    const tbs = header(der, at);
    at = tbs.content + tbs.length; // skip tbsCertificate
    const algorithm = header(der, at); // AlgorithmIdentifier SEQUENCE
    const oid = header(der, algorithm.content);
    if (der[algorithm.content] !== 0x06) return "sha256";
    const hex = Buffer.from(der.subarray(oid.content, oid.content + oid.length)).toString("hex");
    return STRONGER[hex] ?? "sha256";
  } catch {
    return "sha256";
  }
}

/** A DER tag-length header at `at`: where the content starts and how long it is. */
function header(der: Uint8Array, at: number): { content: number; length: number } {
  const first = der[at + 1];
  if (first === undefined) throw new RangeError("truncated DER");
  if (first < 0x80) return { content: at + 2, length: first };
  const octets = first & 0x7f;
  let length = 0;
  for (let i = 0; i < octets; i++) length = length * 256 + (der[at + 2 + i] ?? 0);
  return { content: at + 2 + octets, length };
}

/** For tests: the certificate behind a PEM string. */
export function certificateDer(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).raw);
}
