/**
 * The PROXY protocol header (HAProxy's "PROXY protocol" specification, versions 1 and 2): the
 * first bytes a load balancer sends on a connection it relays, naming the client it relays
 * for. Pure: bytes in, a header (or why not) out, so every runtime's listener reads it the
 * same way. Whether to believe it is the caller's business (`TrustedSources`): anyone can
 * send these bytes.
 *
 * Version 1 is one text line, `PROXY TCP4 <src> <dst> <sport> <dport>\r\n` (TCP6 alike, or
 * `PROXY UNKNOWN...\r\n`), at most 107 octets (specification section 2.1).
 *
 * Version 2 is binary: a 12-octet signature, a version/command octet, a family/transport
 * octet, a 16-bit length, the addresses, then optional TLVs, which we skip (section 2.2).
 * `LOCAL` (command 0) is what health checks send: the connection is the balancer's own, so
 * the socket's addresses stand.
 */
import { latin1ToString } from "../bytes/ascii.ts";
import { canonicalIPv4, canonicalIPv6, formatIPv4, formatIPv6 } from "./ip-address.ts";

/** The client and the address it connected to, as the balancer saw them. */
export interface ProxyEndpoints {
  readonly sourceAddress: string;
  readonly sourcePort: number;
  readonly destinationAddress: string;
  readonly destinationPort: number;
}

/** A parsed header. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * Null for v2 `LOCAL`, v1 `UNKNOWN`, and v2 families other than IPv4/IPv6 (UNIX, UNSPEC):
   * the connection speaks for itself, so the socket's own addresses are used.
   */
  readonly endpoints: ProxyEndpoints | null;
}

export type ProxyHeaderParse =
  /** A header of `length` octets; what follows it is the relayed connection's first data. */
  | { readonly kind: "header"; readonly header: ProxyHeader; readonly length: number }
  /** So far a valid prefix of a header: read more. */
  | { readonly kind: "incomplete" }
  /** Not a PROXY header at all (decided from the first octets that differ). */
  | { readonly kind: "absent" }
  /** Starts like a header but breaks the specification. */
  | { readonly kind: "invalid"; readonly reason: string };

/** The v2 signature: `\r\n\r\n\0\r\nQUIT\n` (section 2.2). */
export const PROXY_V2_SIGNATURE = Uint8Array.of(
  0x0d,
  0x0a,
  0x0d,
  0x0a,
  0x00,
  0x0d,
  0x0a,
  0x51,
  0x55,
  0x49,
  0x54,
  0x0a,
);
const V1_PREFIX = Uint8Array.of(0x50, 0x52, 0x4f, 0x58, 0x59, 0x20); // "PROXY "
/** Section 2.1: "a receiver may wait for up to 107 characters". */
export const PROXY_V1_MAX_OCTETS = 107;
/**
 * The v2 address block and TLVs we accept, past the 16-octet fixed part. The specification
 * allows 65535; a balancer's TLVs (ALPN, authority, TLS details) fit in far less, and a
 * header that size is more likely a peer testing how much we buffer.
 */
export const PROXY_V2_MAX_PAYLOAD = 1024;

/**
 * Parses the PROXY header at the start of `bytes` (the connection's first octets, possibly
 * only some of them). Never throws; a header that names an address it cannot hold (a v1
 * port above 65535, an IPv4 with 256) is `invalid`, never silently truncated.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeaderParse {
  if (startsWith(bytes, PROXY_V2_SIGNATURE)) return parseV2(bytes);
  if (startsWith(bytes, V1_PREFIX)) return parseV1(bytes);
  if (isPrefixOf(bytes, PROXY_V2_SIGNATURE) || isPrefixOf(bytes, V1_PREFIX)) {
    return { kind: "incomplete" };
  }
  return { kind: "absent" };
}

function parseV1(bytes: Uint8Array): ProxyHeaderParse {
  const lf = bytes.indexOf(0x0a);
  if (lf === -1) {
    return bytes.length >= PROXY_V1_MAX_OCTETS
      ? invalid(`v1 header longer than ${PROXY_V1_MAX_OCTETS} octets`)
      : { kind: "incomplete" };
  }
  if (lf + 1 > PROXY_V1_MAX_OCTETS)
    return invalid(`v1 header longer than ${PROXY_V1_MAX_OCTETS} octets`);
  if (lf === 0 || bytes[lf - 1] !== 0x0d) return invalid("v1 header not ended by CRLF");
  const line = latin1ToString(bytes.subarray(0, lf - 1));
  const fields = line.split(" ");
  const family = fields[1];
  const length = lf + 1;
  // "UNKNOWN": the receiver must ignore everything after it and use the socket's addresses.
  if (family === "UNKNOWN")
    return { kind: "header", header: { version: 1, endpoints: null }, length };
  if (family !== "TCP4" && family !== "TCP6")
    return invalid("v1 family is not TCP4, TCP6 or UNKNOWN");
  if (fields.length !== 6) return invalid("v1 header does not have 6 fields");
  const [, , source, destination, sourcePort, destinationPort] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const parseAddress = family === "TCP4" ? canonicalIPv4 : canonicalIPv6;
  const sourceAddress = parseAddress(source);
  const destinationAddress = parseAddress(destination);
  const parsedSourcePort = parsePort(sourcePort);
  const parsedDestinationPort = parsePort(destinationPort);
  if (sourceAddress === null || destinationAddress === null) {
    return invalid(`v1 address is not ${family === "TCP4" ? "IPv4" : "IPv6"}`);
  }
  if (parsedSourcePort === null || parsedDestinationPort === null) {
    return invalid("v1 port is not 0-65535");
  }
  return {
    kind: "header",
    header: {
      version: 1,
      endpoints: {
        sourceAddress,
        sourcePort: parsedSourcePort,
        destinationAddress,
        destinationPort: parsedDestinationPort,
      },
    },
    length,
  };
}

function parseV2(bytes: Uint8Array): ProxyHeaderParse {
  if (bytes.length < 16) return { kind: "incomplete" };
  const versionCommand = bytes[12] as number;
  if (versionCommand >> 4 !== 2) return invalid("v2 version is not 2");
  const command = versionCommand & 0x0f;
  if (command > 1) return invalid("v2 command is neither LOCAL nor PROXY");
  const familyTransport = bytes[13] as number;
  const payload = ((bytes[14] as number) << 8) | (bytes[15] as number);
  if (payload > PROXY_V2_MAX_PAYLOAD) {
    return invalid(`v2 header longer than ${16 + PROXY_V2_MAX_PAYLOAD} octets`);
  }
  const length = 16 + payload;
  if (bytes.length < length) return { kind: "incomplete" };
  // LOCAL: "the receiver must accept this connection as valid and must use the real
  // connection endpoints and discard the protocol block including the family".
  if (command === 0) return { kind: "header", header: { version: 2, endpoints: null }, length };
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  const block = bytes.subarray(16, length);
  if (family === 1 || family === 2) {
    if (transport !== 1) return invalid("v2 transport is not STREAM");
    const size = family === 1 ? 4 : 16;
    if (block.length < 2 * size + 4) return invalid("v2 address block too short");
    const format = family === 1 ? formatIPv4 : formatIPv6;
    const at = 2 * size;
    return {
      kind: "header",
      header: {
        version: 2,
        endpoints: {
          sourceAddress: format(block.subarray(0, size)),
          destinationAddress: format(block.subarray(size, at)),
          sourcePort: ((block[at] as number) << 8) | (block[at + 1] as number),
          destinationPort: ((block[at + 2] as number) << 8) | (block[at + 3] as number),
        },
      },
      length,
    };
  }
  // UNSPEC or UNIX: nothing we can count a client by; section 2.2 says to use the socket's.
  if (family === 0 || family === 3)
    return { kind: "header", header: { version: 2, endpoints: null }, length };
  return invalid("v2 family is unknown");
}

const invalid = (reason: string): ProxyHeaderParse => ({ kind: "invalid", reason });

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** True when `bytes` (shorter than `whole`) could still become `whole`. */
function isPrefixOf(bytes: Uint8Array, whole: Uint8Array): boolean {
  if (bytes.length >= whole.length) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== whole[i]) return false;
  return true;
}

function parsePort(text: string): number | null {
  // Section 2.1: decimal, no leading zero (except 0 itself).
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}
