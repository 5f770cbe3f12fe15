import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatProxyHeader } from "./format-proxy-header.ts";
import { formatIPv6, parseIPv6 } from "./ip-address.ts";
import { PROXY_V2_SIGNATURE, type ProxyHeader, parseProxyHeader } from "./parse-proxy-header.ts";

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
const hex = (text: string): Uint8Array =>
  Uint8Array.from(text.replace(/\s+/g, "").match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));

/** [header, wire bytes]: parsed in one direction, formatted in the other. */
const ROWS: [string, ProxyHeader, Uint8Array][] = [
  [
    "v1 TCP4",
    {
      version: 1,
      endpoints: {
        sourceAddress: "192.0.2.7",
        sourcePort: 56324,
        destinationAddress: "198.51.100.1",
        destinationPort: 110,
      },
    },
    ascii("PROXY TCP4 192.0.2.7 198.51.100.1 56324 110\r\n"),
  ],
  [
    "v1 TCP6",
    {
      version: 1,
      endpoints: {
        sourceAddress: "2001:db8::7",
        sourcePort: 1,
        destinationAddress: "2001:db8::1",
        destinationPort: 995,
      },
    },
    ascii("PROXY TCP6 2001:db8::7 2001:db8::1 1 995\r\n"),
  ],
  ["v1 UNKNOWN", { version: 1, endpoints: null }, ascii("PROXY UNKNOWN\r\n")],
  [
    "v2 PROXY INET",
    {
      version: 2,
      endpoints: {
        sourceAddress: "192.0.2.7",
        sourcePort: 56324,
        destinationAddress: "198.51.100.1",
        destinationPort: 110,
      },
    },
    hex("0d0a0d0a000d0a515549540a 21 11 000c c0000207 c6336401 dc04 006e"),
  ],
  [
    "v2 PROXY INET6",
    {
      version: 2,
      endpoints: {
        sourceAddress: "2001:db8::7",
        sourcePort: 443,
        destinationAddress: "::1",
        destinationPort: 110,
      },
    },
    hex(
      "0d0a0d0a000d0a515549540a 21 21 0024 20010db8000000000000000000000007 00000000000000000000000000000001 01bb 006e",
    ),
  ],
  [
    "v2 LOCAL (health check)",
    { version: 2, endpoints: null },
    hex("0d0a0d0a000d0a515549540a 20 00 0000"),
  ],
];

describe("PROXY header (HAProxy PROXY protocol, sections 2.1 and 2.2)", () => {
  for (const [name, header, wire] of ROWS) {
    it(`parses ${name}`, () => {
      expect(parseProxyHeader(wire)).toEqual({ kind: "header", header, length: wire.length });
    });
    it(`formats ${name}`, () => {
      expect(formatProxyHeader(header)).toEqual(wire);
    });
    it(`reads ${name} split at every byte boundary as incomplete, then whole`, () => {
      for (let cut = 0; cut < wire.length; cut++) {
        expect(parseProxyHeader(wire.subarray(0, cut)).kind).toBe("incomplete");
      }
    });
  }

  it("says where the header ends, so the client's first bytes are kept", () => {
    const wire = ascii("PROXY TCP4 192.0.2.7 198.51.100.1 1 2\r\nCAPA\r\n");
    const parsed = parseProxyHeader(wire);
    expect(parsed.kind === "header" && new TextDecoder().decode(wire.subarray(parsed.length))).toBe(
      "CAPA\r\n",
    );
  });

  it("skips v2 TLVs inside the announced length", () => {
    const wire = hex(
      "0d0a0d0a000d0a515549540a 21 11 0011 c0000207 c6336401 dc04 006e 04 0002 6869",
    );
    expect(parseProxyHeader(wire)).toMatchObject({ kind: "header", length: wire.length });
  });

  it("takes v2 UNIX and UNSPEC as the balancer's own connection", () => {
    const unspec = hex("0d0a0d0a000d0a515549540a 21 00 0000");
    expect(parseProxyHeader(unspec)).toEqual({
      kind: "header",
      header: { version: 2, endpoints: null },
      length: 16,
    });
  });

  it("says absent as soon as the first octets differ", () => {
    for (const text of ["CAPA\r\n", "USER bob\r\n", "P", "PROXX", "\r\nX"]) {
      expect(parseProxyHeader(ascii(text)).kind, text).toBe(text === "P" ? "incomplete" : "absent");
    }
  });

  it.each([
    ["PROXY TCP4 192.0.2.7 198.51.100.1 56324 110\n", "CRLF"],
    ["PROXY TCP4 192.0.2.256 198.51.100.1 1 2\r\n", "IPv4"],
    ["PROXY TCP4 192.0.2.7 198.51.100.1 65536 2\r\n", "0-65535"],
    ["PROXY TCP4 192.0.2.7 198.51.100.1 01 2\r\n", "0-65535"],
    ["PROXY TCP6 192.0.2.7 ::1 1 2\r\n", "IPv6"],
    ["PROXY UDP4 192.0.2.7 198.51.100.1 1 2\r\n", "family"],
    ["PROXY TCP4 192.0.2.7 198.51.100.1 1\r\n", "6 fields"],
    [`PROXY TCP4 ${"1".repeat(120)}`, "longer than 107"],
  ])("refuses the v1 line %j (%s)", (line, reason) => {
    const parsed = parseProxyHeader(ascii(line));
    expect(parsed.kind).toBe("invalid");
    expect(parsed.kind === "invalid" && parsed.reason).toContain(reason);
  });

  it.each([
    ["0d0a0d0a000d0a515549540a 11 11 000c", "version"],
    ["0d0a0d0a000d0a515549540a 22 11 000c", "command"],
    ["0d0a0d0a000d0a515549540a 21 12 000c c0000207c6336401dc04006e", "STREAM"],
    ["0d0a0d0a000d0a515549540a 21 11 0004 c0000207", "too short"],
    ["0d0a0d0a000d0a515549540a 21 41 0000", "family"],
    ["0d0a0d0a000d0a515549540a 21 11 ffff", "longer than"],
  ])("refuses the v2 header %s (%s)", (wire, reason) => {
    const parsed = parseProxyHeader(hex(wire));
    expect(parsed.kind).toBe("invalid");
    expect(parsed.kind === "invalid" && parsed.reason).toContain(reason);
  });

  it("starts v2 with the signature the specification gives", () => {
    expect(new TextDecoder().decode(PROXY_V2_SIGNATURE.subarray(7))).toBe("QUIT\n");
  });

  it("round-trips any IPv4 or IPv6 header, both versions", () => {
    const v4 = fc.ipV4();
    const v6 = fc.ipV6().map((text) => formatIPv6(parseIPv6(text) as Uint8Array));
    const endpoints = fc.oneof(fc.tuple(v4, v4), fc.tuple(v6, v6)).chain(([source, destination]) =>
      fc.record({
        sourceAddress: fc.constant(source),
        destinationAddress: fc.constant(destination),
        sourcePort: fc.integer({ min: 0, max: 65535 }),
        destinationPort: fc.integer({ min: 0, max: 65535 }),
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(1 as const, 2 as const), endpoints, (version, named) => {
        // An IPv4-mapped IPv6 address is reported as its dotted quad: not a round trip.
        fc.pre(!named.sourceAddress.includes(".") || !named.sourceAddress.includes(":"));
        const header: ProxyHeader = { version, endpoints: named };
        const wire = formatProxyHeader(header);
        expect(parseProxyHeader(wire)).toEqual({ kind: "header", header, length: wire.length });
      }),
    );
  });
});
