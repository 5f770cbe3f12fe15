import { describe, expect, it } from "vitest";
import { ConnectionAdmission, tooManyConnectionsLine } from "./connection-admission.ts";

const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

describe("ConnectionAdmission", () => {
  it("counts one IPv6 /64 as one client: fresh /128s of one host meet the per-address cap", () => {
    const admission = new ConnectionAdmission({ maxConnections: 100, maxConnectionsPerAddress: 3 });
    const host = (n: number): string => `2001:db8:1:2:${n.toString(16)}::1`;
    expect([1, 2, 3, 4].map((n) => admission.admit(host(n)))).toEqual([
      null,
      null,
      null,
      "maxConnectionsPerAddress",
    ]);
    // Another /64 is another client; releasing one address of the /64 frees a slot for all.
    expect(admission.admit("2001:db8:1:3::1")).toBeNull();
    expect(admission.countFrom("2001:db8:1:2::ffff")).toBe(3);
    admission.release(host(2));
    expect(admission.admit(host(9))).toBeNull();
    expect(admission.size).toBe(4);
  });

  it("counts each IPv6 address apart with ipv6PrefixLength 128, and refuses a bad prefix", () => {
    const admission = new ConnectionAdmission({
      maxConnections: 100,
      maxConnectionsPerAddress: 1,
      ipv6PrefixLength: 128,
    });
    expect(admission.admit("2001:db8::1")).toBeNull();
    expect(admission.admit("2001:db8::2")).toBeNull();
    expect(admission.admit("2001:db8::1")).toBe("maxConnectionsPerAddress");
    expect(
      () =>
        new ConnectionAdmission({
          maxConnections: 1,
          maxConnectionsPerAddress: 1,
          ipv6PrefixLength: 0,
        }),
    ).toThrow(RangeError);
  });

  it("admits up to the per-address cap, then names maxConnectionsPerAddress", () => {
    const admission = new ConnectionAdmission({ maxConnections: 10, maxConnectionsPerAddress: 2 });
    expect(admission.admit("192.0.2.1")).toBeNull();
    expect(admission.admit("192.0.2.1")).toBeNull();
    expect(admission.admit("192.0.2.1")).toBe("maxConnectionsPerAddress");
    expect(admission.admit("192.0.2.2")).toBeNull();
    expect(admission.size).toBe(3);
    expect(admission.countFrom("192.0.2.1")).toBe(2);
  });

  it("checks the total first, so a full server says maxConnections to everyone", () => {
    const admission = new ConnectionAdmission({ maxConnections: 2, maxConnectionsPerAddress: 1 });
    expect(admission.admit("a")).toBeNull();
    expect(admission.admit("b")).toBeNull();
    expect(admission.admit("a")).toBe("maxConnections");
    expect(admission.admit("c")).toBe("maxConnections");
    expect(admission.size).toBe(2);
  });

  it("counts nothing for a refused connection and frees a slot on release", () => {
    const admission = new ConnectionAdmission({ maxConnections: 1, maxConnectionsPerAddress: 1 });
    expect(admission.admit("a")).toBeNull();
    expect(admission.admit("a")).toBe("maxConnections");
    admission.release("a");
    expect(admission.size).toBe(0);
    expect(admission.countFrom("a")).toBe(0);
    expect(admission.admit("a")).toBeNull();
  });

  it("ignores a release for an address with nothing open", () => {
    const admission = new ConnectionAdmission({ maxConnections: 5, maxConnectionsPerAddress: 5 });
    admission.release("nobody");
    expect(admission.size).toBe(0);
    expect(admission.admit("a")).toBeNull();
    expect(admission.admit("a")).toBeNull();
    admission.release("a");
    expect(admission.countFrom("a")).toBe(1);
    expect(admission.size).toBe(1);
  });
});

describe("tooManyConnectionsLine", () => {
  it("is one -ERR [SYS/TEMP] line (RFC 3206 section 4), fresh bytes on every call", () => {
    const line = tooManyConnectionsLine();
    expect(text(line)).toBe("-ERR [SYS/TEMP] Too many connections, try again later\r\n");
    line.fill(0);
    expect(text(tooManyConnectionsLine()).startsWith("-ERR")).toBe(true);
  });
});
