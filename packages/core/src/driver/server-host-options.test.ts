import { describe, expect, it } from "vitest";
import { invalidArgument } from "../../test/helpers/invalid-argument.ts";
import type { Authenticator } from "../auth/credential.ts";
import { plainServer } from "../auth/sasl/plain.ts";
import { MemoryStore } from "../store/memory-store.ts";
import type { ServerHostEvent } from "./server-host-event.ts";
import { resolveServerHostOptions, type ServerHostOptions } from "./server-host-options.ts";
import type { Clock } from "./transport.ts";

const clock: Clock = { now: () => 0, setTimer: () => () => {} };
const authenticator: Authenticator = { lookup: () => null };
const base: ServerHostOptions = { store: new MemoryStore(), authenticator };

function resolve(options: unknown) {
  return resolveServerHostOptions({
    options: options as ServerHostOptions,
    serverNameOption: "hostname",
    defaultServerName: () => "pop.example.org",
    defaultClock: clock,
  });
}

describe("resolveServerHostOptions", () => {
  it("fills in the defaults and builds core's ServerPolicy", () => {
    const resolved = resolve(base);
    expect(resolved.store).toBe(base.store);
    expect(resolved.authenticator).toBe(authenticator);
    expect(resolved.serverName).toBe("pop.example.org");
    expect(resolved.policy.allowPlaintextAuth).toBe(false);
    expect(resolved.policy.saslMechanisms?.map((m) => m.name)).toEqual([
      "SCRAM-SHA-256-PLUS",
      "SCRAM-SHA-256",
      "PLAIN",
      "LOGIN",
      "CRAM-MD5",
      "OAUTHBEARER",
      "XOAUTH2",
    ]);
    expect(Object.keys(resolved.policy).sort()).toEqual(["allowPlaintextAuth", "saslMechanisms"]);
    expect(resolved.limits).toEqual({});
    expect(resolved.authFailureDelayMs).toBe(2000);
    expect(resolved.tlsHandshakeTimeoutMs).toBe(30_000);
    expect(resolved.maxConnections).toBe(1000);
    expect(resolved.maxConnectionsPerAddress).toBe(20);
    expect(resolved.clock).toBe(clock);
    expect(() => resolved.onEvent({ type: "listener-error", error: new Error("x") })).not.toThrow();
  });

  it("keeps what was given, with CAPA EXPIRE as text (RFC 2449 section 6.7)", () => {
    const own: Clock = { now: () => 1, setTimer: () => () => {} };
    const resolved = resolve({
      ...base,
      hostname: "mail.example.net",
      allowPlaintextAuth: true,
      saslMechanisms: [plainServer],
      apop: false,
      greeting: "hello",
      implementation: "apop-test",
      expire: 30,
      loginDelay: 900,
      limits: { badCommands: 3 },
      authFailureDelayMs: 0,
      tlsHandshakeTimeoutMs: 5,
      maxConnections: 7,
      maxConnectionsPerAddress: 2,
      clock: own,
    });
    expect(resolved.serverName).toBe("mail.example.net");
    expect(resolved.policy).toEqual({
      saslMechanisms: [plainServer],
      allowPlaintextAuth: true,
      apop: false,
      greeting: "hello",
      implementation: "apop-test",
      expire: "30",
      loginDelay: 900,
    });
    expect(resolved.limits).toEqual({ badCommands: 3 });
    expect(resolved.authFailureDelayMs).toBe(0);
    expect(resolved.tlsHandshakeTimeoutMs).toBe(5);
    expect(resolved.maxConnections).toBe(7);
    expect(resolved.maxConnectionsPerAddress).toBe(2);
    expect(resolved.clock).toBe(own);
    expect(resolve({ ...base, expire: "NEVER" }).policy.expire).toBe("NEVER");
  });

  it("reads the APOP host name from the option the runtime names, and asks the default only without it", () => {
    let asked = 0;
    const resolveWith = (options: object) =>
      resolveServerHostOptions({
        options: { ...base, ...options },
        serverNameOption: "serverName",
        defaultServerName: () => {
          asked++;
          return "fallback.example";
        },
        defaultClock: clock,
      });
    expect(resolveWith({ serverName: "given.example", hostname: "0.0.0.0" }).serverName).toBe(
      "given.example",
    );
    expect(asked).toBe(0);
    expect(resolveWith({ hostname: "ignored" }).serverName).toBe("fallback.example");
    expect(asked).toBe(1);
    expect(() => resolveWith({ serverName: "a b" })).toThrow(invalidArgument("serverName"));
  });

  it("passes events to onEvent and swallows what it throws", () => {
    const seen: ServerHostEvent[] = [];
    const resolved = resolve({ ...base, onEvent: (event: ServerHostEvent) => seen.push(event) });
    const event: ServerHostEvent = { type: "listener-error", error: new Error("EMFILE") };
    resolved.onEvent(event);
    expect(seen).toEqual([event]);
    const throwing = resolve({
      ...base,
      onEvent: () => {
        throw new Error("logger down");
      },
    });
    expect(() => throwing.onEvent(event)).not.toThrow();
  });

  it.each<[string, unknown]>([
    ["options", null],
    ["options", "store"],
    ["store", { ...base, store: {} }],
    ["authenticator", { ...base, authenticator: null }],
    ["hostname", { ...base, hostname: "has space" }],
    ["hostname", { ...base, hostname: "<bad>" }],
    ["hostname", { ...base, hostname: "" }],
    ["hostname", { ...base, hostname: 42 }],
    ["saslMechanisms", { ...base, saslMechanisms: ["PLAIN"] }],
    ["saslMechanisms", { ...base, saslMechanisms: plainServer }],
    ["expire", { ...base, expire: "soon" }],
    ["expire", { ...base, expire: -1 }],
    ["loginDelay", { ...base, loginDelay: -5 }],
    ["allowPlaintextAuth", { ...base, allowPlaintextAuth: "yes" }],
    ["apop", { ...base, apop: 1 }],
    ["greeting", { ...base, greeting: "two\r\nlines" }],
    ["implementation", { ...base, implementation: "a\nb" }],
    // Both go out before UTF8, when no reply may carry non-ASCII (RFC 6856 section 2).
    ["greeting", { ...base, greeting: "Gr\u00fc\u00df Gott" }],
    ["implementation", { ...base, implementation: "apop \u2122" }],
    ["authFailureDelayMs", { ...base, authFailureDelayMs: -1 }],
    ["tlsHandshakeTimeoutMs", { ...base, tlsHandshakeTimeoutMs: 0 }],
    ["maxConnections", { ...base, maxConnections: 0 }],
    ["maxConnectionsPerAddress", { ...base, maxConnectionsPerAddress: 1.5 }],
    ["onEvent", { ...base, onEvent: "log" }],
    ["clock", { ...base, clock: { now: () => 0 } }],
    ["limits.commandLine", { ...base, limits: { commandLine: 10 } }],
    ["limits.badCommands", { ...base, limits: { badCommands: -3 } }],
  ])("refuses a bad %s with invalid-argument", (name, options) => {
    expect(() => resolve(options)).toThrow(invalidArgument(name));
  });
});
