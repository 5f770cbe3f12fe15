import { describe, expect, it } from "vitest";
import { invalidArgument } from "../../test/helpers/invalid-argument.ts";
import { resolveClientConnectOptions } from "./client-connect-options.ts";
import type { Clock } from "./transport.ts";

const clock: Clock = { now: () => 0, setTimer: () => () => {} };

function resolve(options: unknown, hostOption = "host") {
  return resolveClientConnectOptions({
    options: options as never,
    hostOption,
    defaultClock: clock,
  });
}

describe("resolveClientConnectOptions", () => {
  it("defaults to port 995 for implicit TLS and 110 otherwise, 30 s to connect and to handshake", () => {
    const implicit = resolve({ host: "pop.example.org", tls: "implicit" });
    expect(implicit).toEqual({
      host: "pop.example.org",
      port: 995,
      tls: "implicit",
      connectTimeoutMs: 30_000,
      tlsHandshakeTimeoutMs: 30_000,
      clock,
      client: { clock, requireTls: false },
    });
    expect(resolve({ host: "h", tls: "starttls" }).port).toBe(110);
    expect(resolve({ host: "h", tls: "none" }).port).toBe(110);
  });

  it("asks core's client to require TLS for starttls only", () => {
    expect(resolve({ host: "h", tls: "starttls" }).client.requireTls).toBe(true);
    expect(resolve({ host: "h", tls: "none" }).client.requireTls).toBe(false);
  });

  it("keeps what was given, and hands the client its part", () => {
    const own: Clock = { now: () => 1, setTimer: () => () => {} };
    const resolved = resolve({
      host: "h",
      tls: "none",
      port: 1110,
      connectTimeoutMs: 1,
      tlsHandshakeTimeoutMs: 2,
      replyTimeoutMs: 3,
      limits: { listingOctets: 4096 },
      maxMessageOctets: 5,
      clock: own,
    });
    expect(resolved.port).toBe(1110);
    expect(resolved.connectTimeoutMs).toBe(1);
    expect(resolved.tlsHandshakeTimeoutMs).toBe(2);
    expect(resolved.clock).toBe(own);
    expect(resolved.client).toEqual({
      clock: own,
      limits: { listingOctets: 4096, replyTimeoutMs: 3 },
      maxMessageOctets: 5,
      requireTls: false,
    });
  });

  it("names the runtime's host option in its error", () => {
    expect(() => resolve({ hostname: "", tls: "none" }, "hostname")).toThrow(
      "hostname must be a non-empty string",
    );
    expect(resolve({ hostname: "h", tls: "none" }, "hostname").host).toBe("h");
  });

  it.each([
    ["host", undefined],
    ["host", null],
    ["host", { tls: "none" }],
    ["host", { host: "", tls: "none" }],
    ["host", { host: 7, tls: "none" }],
    ["tls", { host: "h", tls: "maybe" }],
    ["tls", { host: "h" }],
    ["port", { host: "h", tls: "none", port: 0 }],
    ["port", { host: "h", tls: "none", port: 65536 }],
    ["port", { host: "h", tls: "none", port: 1.5 }],
    ["connectTimeoutMs", { host: "h", tls: "none", connectTimeoutMs: 0 }],
    ["tlsHandshakeTimeoutMs", { host: "h", tls: "none", tlsHandshakeTimeoutMs: Number.NaN }],
    ["replyTimeoutMs", { host: "h", tls: "none", replyTimeoutMs: -1 }],
  ])("refuses a bad %s with invalid-argument", (name, options) => {
    expect(() => resolve(options)).toThrow(invalidArgument(name));
  });
});
