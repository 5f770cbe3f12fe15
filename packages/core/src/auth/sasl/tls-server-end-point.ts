/**
 * RFC 5929 section 4.1's `tls-server-end-point` channel binding data: the hash of the server's
 * DER certificate, with the hash of the certificate's signature algorithm, or SHA-256 when that
 * is MD5, SHA-1 or anything else. Pure, so every runtime that can see the certificate (the
 * server its own, a client the peer's) computes the same bytes.
 */
import { sha256, sha384, sha512 } from "@noble/hashes/sha2.js";
import { toHex } from "../../bytes/hex.ts";

type Hash = (message: Uint8Array) => Uint8Array;

/** Signature algorithm OIDs (DER content octets, hex) whose hash is stronger than SHA-256. */
const STRONGER: Record<string, Hash> = {
  "2a864886f70d01010c": sha384, // sha384WithRSAEncryption
  "2a864886f70d01010d": sha512, // sha512WithRSAEncryption
  "2a8648ce3d040303": sha384, // ecdsa-with-SHA384
  "2a8648ce3d040304": sha512, // ecdsa-with-SHA512
};

/** The binding data of a DER certificate (RFC 5929 section 4.1). */
export function tlsServerEndPoint(options: { readonly certificate: Uint8Array }): Uint8Array {
  const der = options.certificate;
  return endPointHash(der)(der);
}

/**
 * The hash of the certificate's `signatureAlgorithm` (the second element of the outer
 * SEQUENCE, RFC 5280 section 4.1.1.2): SHA-384 and SHA-512 stay, everything else (MD5, SHA-1,
 * SHA-256, RSASSA-PSS, EdDSA) is SHA-256.
 */
function endPointHash(der: Uint8Array): Hash {
  try {
    let at = header(der, 0).content; // Certificate SEQUENCE
    const tbs = header(der, at);
    at = tbs.content + tbs.length; // skip tbsCertificate
    const algorithm = header(der, at); // AlgorithmIdentifier SEQUENCE
    if (der[algorithm.content] !== 0x06) return sha256;
    const oid = header(der, algorithm.content);
    return STRONGER[toHex(der.subarray(oid.content, oid.content + oid.length))] ?? sha256;
  } catch {
    return sha256;
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
