import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { parseIPv4, parseIPv6 } from "./ip-address.ts";

/**
 * The addresses a PROXY header is believed from (Dovecot's `haproxy_trusted_networks`): the
 * load balancers, as addresses or prefixes (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`). An IPv4
 * client reached over a dual-stack socket (`::ffff:10.1.2.3`) matches its IPv4 prefix.
 */
export class TrustedSources {
  /** Each prefix as 16 octets (IPv4 mapped into `::ffff:0:0/96`) and a bit length. */
  readonly #prefixes: { readonly bytes: Uint8Array; readonly bits: number }[];
  /** As given, for logs. */
  readonly sources: readonly string[];

  /**
   * Throws `LocalProtocolError` `invalid-argument` naming the first entry that is not an
   * address or a prefix, or whose prefix length does not fit its family.
   */
  constructor(sources: readonly string[]) {
    this.sources = [...sources];
    this.#prefixes = sources.map((source) => {
      const prefix = parsePrefix(source);
      if (prefix === null) {
        throw new LocalProtocolError({
          code: "invalid-argument",
          message: `trusted source ${JSON.stringify(source)} is not an IP address or prefix (10.0.0.0/8, fd00::/8)`,
        });
      }
      return prefix;
    });
  }

  /** No source is trusted: PROXY headers are refused from everyone. */
  get empty(): boolean {
    return this.#prefixes.length === 0;
  }

  /** Whether a connection from `address` (as the runtime reports it) may send a PROXY header. */
  has(address: string): boolean {
    const bytes = toSixteen(address);
    if (bytes === null) return false;
    return this.#prefixes.some((prefix) => matches(bytes, prefix.bytes, prefix.bits));
  }
}

function parsePrefix(text: string): { bytes: Uint8Array; bits: number } | null {
  if (typeof text !== "string") return null;
  const [address = "", length, extra] = text.split("/");
  if (extra !== undefined) return null;
  const v4 = parseIPv4(address);
  const bytes = toSixteen(address);
  if (bytes === null) return null;
  const max = v4 === null ? 128 : 32;
  if (length !== undefined && !/^(0|[1-9]\d{0,2})$/.test(length)) return null;
  const bits = length === undefined ? max : Number(length);
  if (bits > max) return null;
  return { bytes, bits: v4 === null ? bits : 96 + bits };
}

/** IPv6 octets, or IPv4 mapped into `::ffff:a.b.c.d`; null for anything else. */
function toSixteen(address: string): Uint8Array | null {
  const v4 = parseIPv4(address);
  if (v4 === null) return parseIPv6(address);
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(v4, 12);
  return bytes;
}

function matches(address: Uint8Array, prefix: Uint8Array, bits: number): boolean {
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== prefix[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((address[whole] as number) & mask) === ((prefix[whole] as number) & mask);
}
