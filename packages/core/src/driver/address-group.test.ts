import { isIPv4 as nodeIsIPv4 } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressGroup, isLoopbackAddress, normalizeRemoteAddress } from "./address-group.ts";

/** Slow reference: the address as a 128-bit number, its first `prefix` bits kept. */
function referencePrefix(words: readonly number[], prefix: number): bigint {
  const value = words.reduce((acc, word) => (acc << 16n) | BigInt(word), 0n);
  const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
  return value & mask;
}

const fullText = (words: readonly number[]): string => words.map((w) => w.toString(16)).join(":");

describe("isLoopbackAddress", () => {
  it.each([
    "127.0.0.1",
    "127.255.0.9",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
    "[::FFFF:7f00:1]",
    "localhost",
    "LocalHost",
    "app.localhost",
  ])("%s stays on this machine", (host) => {
    expect(isLoopbackAddress(host)).toBe(true);
  });

  it.each([
    "0.0.0.0",
    "::",
    "10.0.0.1",
    "128.0.0.1",
    "127.0.0.256",
    "127.1",
    "::2",
    "1::1",
    "::ffff:10.0.0.1",
    "localhost.example",
    "notlocalhost",
    "pop.example.org",
    "",
  ])("%s does not", (host) => {
    expect(isLoopbackAddress(host)).toBe(false);
  });
});

describe("addressGroup", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:c000:201", "192.0.2.1"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2:0:0:0:0/64"],
    ["2001:DB8:1:2::1", "2001:db8:1:2:0:0:0:0/64"],
    ["fe80::1%eth0", "fe80:0:0:0:0:0:0:0/64"],
    ["::1", "0:0:0:0:0:0:0:0/64"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0:0:0:0:0/64"],
    ["", ""],
    ["/run/apop.sock", "/run/apop.sock"],
    ["2001:db8::1::2", "2001:db8::1::2"],
    ["1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7:8:9"],
  ])("%s is counted as %s", (address, expected) => {
    expect(addressGroup({ address })).toBe(expected);
  });

  it("groups by the prefix asked for", () => {
    const address = "2001:db8:abcd:12ff:1:2:3:4";
    expect(addressGroup({ address, ipv6PrefixLength: 128 })).toBe("2001:db8:abcd:12ff:1:2:3:4/128");
    expect(addressGroup({ address, ipv6PrefixLength: 56 })).toBe("2001:db8:abcd:1200:0:0:0:0/56");
    expect(addressGroup({ address, ipv6PrefixLength: 48 })).toBe("2001:db8:abcd:0:0:0:0:0/48");
    expect(() => addressGroup({ address, ipv6PrefixLength: 129 })).toThrow(RangeError);
    expect(() => addressGroup({ address, ipv6PrefixLength: 1.5 })).toThrow(RangeError);
  });

  it("two IPv6 addresses share a group exactly when their first bits agree (against a BigInt reference)", () => {
    const word = fc.integer({ min: 0, max: 0xffff });
    const words = fc.array(word, { minLength: 8, maxLength: 8 });
    fc.assert(
      fc.property(words, words, fc.integer({ min: 1, max: 128 }), (a, b, prefix) => {
        // Not ::ffff:0:0/96, which is IPv4.
        fc.pre(a[5] !== 0xffff && b[5] !== 0xffff);
        const same =
          addressGroup({ address: fullText(a), ipv6PrefixLength: prefix }) ===
          addressGroup({ address: fullText(b), ipv6PrefixLength: prefix });
        expect(same).toBe(referencePrefix(a, prefix) === referencePrefix(b, prefix));
        // The compressed form is the same address.
        const compressed = fullText(a).replace(/(^|:)0(:0)+(:|$)/, "::");
        expect(addressGroup({ address: compressed, ipv6PrefixLength: prefix })).toBe(
          addressGroup({ address: fullText(a), ipv6PrefixLength: prefix }),
        );
      }),
      { numRuns: 500 },
    );
  });
});

describe("normalizeRemoteAddress", () => {
  it.each([
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::ffff:0.0.0.0", "0.0.0.0"],
    ["::ffff:255.255.255.255", "255.255.255.255"],
    ["192.0.2.1", "192.0.2.1"],
    ["2001:db8::1", "2001:db8::1"],
    ["::1", "::1"],
    ["", ""],
    // Not a dotted quad after the prefix: left alone, as net.isIPv4 would.
    ["::ffff:256.0.0.1", "::ffff:256.0.0.1"],
    ["::ffff:01.2.3.4", "::ffff:01.2.3.4"],
    ["::ffff:1.2.3", "::ffff:1.2.3"],
    ["::ffff:1.2.3.4.5", "::ffff:1.2.3.4.5"],
    ["::ffff:c000:201", "::ffff:c000:201"],
  ])("%s counts as %s", (address, expected) => {
    expect(normalizeRemoteAddress(address)).toBe(expected);
  });
});

describe("the dotted-quad check (seen through normalizeRemoteAddress)", () => {
  /** Whether the check took `text` for IPv4: only then is the mapped prefix dropped. */
  const takenForIPv4 = (text: string): boolean => normalizeRemoteAddress(`::ffff:${text}`) === text;

  it.each([
    ["0.0.0.0", true],
    ["1.2.3.4", true],
    ["10.20.30.40", true],
    ["255.255.255.255", true],
    ["100.200.250.199", true],
    ["01.2.3.4", false],
    ["1.2.3.00", false],
    ["1.2.3.010", false],
    ["256.1.1.1", false],
    ["1.2.3.1000", false],
    ["1.2.3", false],
    ["1.2.3.4.", false],
    [".1.2.3.4", false],
    ["1..2.3", false],
    ["1.2.3.4.5", false],
    ["1.2.3.-4", false],
    ["1.2.3.+4", false],
    ["1.2.3. 4", false],
    ["1.2.3.4 ", false],
    ["1.2.3.a", false],
    ["1.2.3.\u0664", false],
    ["", false],
    [".", false],
  ])("%s: %s", (text, expected) => {
    expect(takenForIPv4(text)).toBe(expected);
    expect(nodeIsIPv4(text)).toBe(expected);
  });

  it("agrees with net.isIPv4 on random near-quads", () => {
    const part = fc.oneof(
      fc.integer({ min: 0, max: 300 }).map(String),
      fc.stringMatching(/^[0-9]{0,4}$/),
      fc.constantFrom("", "a", " ", "-1", "0x1", "1e2"),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const text = parts.join(".");
        expect(takenForIPv4(text)).toBe(nodeIsIPv4(text));
      }),
      { seed: 0x1b4, numRuns: 2000 },
    );
  });
});
