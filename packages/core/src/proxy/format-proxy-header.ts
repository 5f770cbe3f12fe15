import { stringToLatin1 } from "../bytes/ascii.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { parseIPv4, parseIPv6 } from "./ip-address.ts";
import { PROXY_V2_SIGNATURE, type ProxyHeader } from "./parse-proxy-header.ts";

/**
 * The wire form of a PROXY header, the mirror of `parseProxyHeader` (for clients that sit
 * behind their own relay, and for tests that play a balancer). Version 1 writes `UNKNOWN`
 * for a header without endpoints; version 2 writes `LOCAL`. Both endpoints must be of one
 * family. Throws `LocalProtocolError` `invalid-argument` for an address or port it cannot
 * write.
 */
export function formatProxyHeader(header: ProxyHeader): Uint8Array {
  const { endpoints } = header;
  if (endpoints === null) {
    return header.version === 1
      ? stringToLatin1("PROXY UNKNOWN\r\n")
      : Uint8Array.of(...PROXY_V2_SIGNATURE, 0x20, 0x00, 0x00, 0x00);
  }
  for (const port of [endpoints.sourcePort, endpoints.destinationPort]) {
    if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) fail(`port ${port}`);
  }
  const pair = (parse: (text: string) => Uint8Array | null): [Uint8Array, Uint8Array] | null => {
    const source = parse(endpoints.sourceAddress);
    const destination = parse(endpoints.destinationAddress);
    return source === null || destination === null ? null : [source, destination];
  };
  const v4 = pair(parseIPv4);
  const v6 = v4 === null ? pair(parseIPv6) : null;
  const family = v4 === null ? 6 : 4;
  const [source, destination] = v4 ?? v6 ?? fail("addresses (both IPv4 or both IPv6)");
  if (header.version === 1) {
    const { sourceAddress, destinationAddress, sourcePort, destinationPort } = endpoints;
    return stringToLatin1(
      `PROXY TCP${family} ${sourceAddress} ${destinationAddress} ${sourcePort} ${destinationPort}\r\n`,
    );
  }
  const block = [
    ...source,
    ...destination,
    endpoints.sourcePort >> 8,
    endpoints.sourcePort & 0xff,
    endpoints.destinationPort >> 8,
    endpoints.destinationPort & 0xff,
  ];
  // 0x21: version 2, PROXY. 0x11 / 0x21: INET / INET6 over STREAM (section 2.2).
  return Uint8Array.of(
    ...PROXY_V2_SIGNATURE,
    0x21,
    family === 4 ? 0x11 : 0x21,
    0,
    block.length,
    ...block,
  );
}

function fail(what: string): never {
  throw new LocalProtocolError({ code: "invalid-argument", message: `PROXY header: bad ${what}` });
}
