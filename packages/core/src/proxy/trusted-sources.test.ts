import { describe, expect, it } from "vitest";
import { formatIPv6, parseIPv6 } from "./ip-address.ts";
import { TrustedSources } from "./trusted-sources.ts";

describe("TrustedSources", () => {
  const trusted = new TrustedSources([
    "127.0.0.1",
    "10.0.0.0/8",
    "192.168.4.0/22",
    "fd00::/8",
    "::1",
  ]);

  it.each([
    ["127.0.0.1", true],
    ["127.0.0.2", false],
    ["10.255.1.2", true],
    ["11.0.0.1", false],
    ["192.168.7.255", true],
    ["192.168.8.0", false],
    ["::ffff:10.1.2.3", true],
    ["fd12:3456::1", true],
    ["fe80::1", false],
    ["::1", true],
    ["not an address", false],
  ])("%s is trusted: %s", (address, expected) => {
    expect(trusted.has(address)).toBe(expected);
  });

  it.each(["10.0.0.0/33", "::/129", "10.0.0/8", "10.0.0.0/08", "host.example", "1.2.3.4/8/1", ""])(
    "refuses %j as a source",
    (source) => {
      expect(() => new TrustedSources([source])).toThrow(/trusted source/);
    },
  );

  it("writes IPv6 the way sockets report it (RFC 5952)", () => {
    expect(formatIPv6(parseIPv6("2001:DB8:0:0:1:0:0:1") as Uint8Array)).toBe("2001:db8::1:0:0:1");
    expect(formatIPv6(parseIPv6("::ffff:192.0.2.1") as Uint8Array)).toBe("192.0.2.1");
    expect(formatIPv6(parseIPv6("::") as Uint8Array)).toBe("::");
    expect(parseIPv6("1::2::3")).toBeNull();
  });
});
