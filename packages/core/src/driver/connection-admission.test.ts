import { describe, expect, it } from "vitest";
import {
  ConnectionAdmission,
  normalizeRemoteAddress,
  tooManyConnectionsLine,
} from "./connection-admission.ts";

const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

describe("ConnectionAdmission", () => {
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
