import { DEFAULTS } from "../defaults.ts";

/** Whether `value` is a valid `ipv6PrefixLength`: a whole number of bits from 1 to 128. */
export function isIpv6PrefixLength(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= 128;
}

/**
 * The key under which a remote address is counted and penalised (connection caps, failed
 * logins): one client, as far as any per-address limit can tell.
 *
 * - IPv4 is one address; an IPv4 client over a dual-stack socket (`::ffff:192.0.2.1`) is
 *   `192.0.2.1`.
 * - IPv6 is its first `ipv6PrefixLength` bits (default 64), as `2001:db8:0:1:0:0:0:0/64`; a
 *   zone (`%eth0`) is dropped.
 * - Anything else (an empty string, a Unix socket path) is its own group, as it is.
 *
 * Pure and total: never throws. Logs keep the exact address; only counting uses the group.
 * Throws `RangeError` for an `ipv6PrefixLength` outside 1-128.
 */
export function addressGroup(options: {
  readonly address: string;
  readonly ipv6PrefixLength?: number | undefined;
}): string {
  const prefix = options.ipv6PrefixLength ?? DEFAULTS.ipv6PrefixLength;
  if (!isIpv6PrefixLength(prefix)) {
    throw new RangeError(`ipv6PrefixLength must be a whole number from 1 to 128, got ${prefix}`);
  }
  const { address } = options;
  if (isIPv4(address)) return address;
  const words = parseIPv6(address);
  if (words === undefined) return address;
  if (isV4Mapped(words)) return ipv4Text(words);
  const masked = words.map((word, i) => {
    const keep = Math.min(16, Math.max(0, prefix - 16 * i));
    return keep === 0 ? 0 : word & ((0xffff << (16 - keep)) & 0xffff);
  });
  return `${masked.map((word) => word.toString(16)).join(":")}/${prefix}`;
}

/**
 * The address a per-address cap counts: an IPv4 client reached over a dual-stack socket
 * (`::ffff:192.0.2.1`) is the same client as `192.0.2.1`. Anything else is returned as it is.
 * For logs; counting uses `addressGroup`.
 */
export function normalizeRemoteAddress(address: string): string {
  const v4 = address.toLowerCase().startsWith("::ffff:") ? address.slice(7) : null;
  return v4 !== null && isIPv4(v4) ? v4 : address;
}

/**
 * Whether traffic to or from `host` stays on this machine: `127.0.0.0/8` (RFC 1122 section
 * 3.2.1.3), `::1` and IPv4-mapped `::ffff:127.x.y.z` (RFC 4291 sections 2.5.3 and 2.5.5.2),
 * `localhost` and names under `.localhost` (RFC 6761 section 6.3, as browsers treat them).
 * Brackets (`[::1]`), a zone and letter case do not matter. The one rule for where a
 * password may travel without TLS: the WebSocket bridge, the browser transport and
 * apop-server's `--web` all ask it.
 */
export function isLoopbackAddress(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare.endsWith(".localhost")) return true;
  if (isIPv4(bare)) return bare.startsWith("127.");
  const words = parseIPv6(bare);
  if (words === undefined) return false;
  if (isV4Mapped(words)) return (words[6] as number) >> 8 === 127;
  return words.slice(0, 7).every((word) => word === 0) && words[7] === 1;
}

/** A dotted quad, each part 0-255 without leading zeros (what `net.isIPv4` accepts). */
function isIPv4(text: string): boolean {
  // One pass over the characters rather than a split and a pattern per part: every connection
  // asks this several times (its address, its group, the proxy check).
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= text.length; i++) {
    // The end of the text closes the last part, as a dot would.
    const code = i === text.length ? 0x2e /* . */ : text.charCodeAt(i);
    if (code === 0x2e) {
      if (digits === 0 || ++parts > 4) return false;
      digits = 0;
      value = 0;
    } else if (code >= 0x30 && code <= 0x39) {
      // A leading zero ("01") is refused, as by `net.isIPv4`.
      if (digits > 0 && value === 0) return false;
      value = value * 10 + (code - 0x30);
      digits++;
      if (value > 255) return false;
    } else {
      return false;
    }
  }
  return parts === 4;
}

/** `::ffff:0:0/96` (RFC 4291 section 2.5.5.2). */
function isV4Mapped(words: readonly number[]): boolean {
  return words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff;
}

function ipv4Text(words: readonly number[]): string {
  const high = words[6] as number;
  const low = words[7] as number;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

/** The eight 16-bit words of an IPv6 address in RFC 4291 section 2.2 text form, if it is one. */
function parseIPv6(text: string): number[] | undefined {
  const zone = text.indexOf("%");
  const bare = zone === -1 ? text : text.slice(0, zone);
  const halves = bare.split("::");
  if (halves.length > 2) return undefined;
  const head = parseWords(halves[0] as string);
  const tail = halves.length === 2 ? parseWords(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
}

/** Colon-separated hex words; the last may be a dotted quad (two words). */
function parseWords(text: string): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const words: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      if (!isIPv4(part)) return undefined;
      const [a, b, c, d] = part.split(".").map(Number) as [number, number, number, number];
      words.push((a << 8) | b, (c << 8) | d);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      words.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return words;
}
