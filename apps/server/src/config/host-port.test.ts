import { describe, expect, it } from "vitest";
import { formatHostPort, parseHostPort } from "./host-port.ts";

describe("parseHostPort", () => {
  it.each([
    ["127.0.0.1:110", { host: "127.0.0.1", port: 110 }],
    ["localhost:0", { host: "localhost", port: 0 }],
    ["[::1]:995", { host: "::1", port: 995 }],
    ["[::]:110", { host: "::", port: 110 }],
    ["*:110", { port: 110 }],
    ["mail.example.org:65535", { host: "mail.example.org", port: 65535 }],
  ])("reads %s", (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
    expect(formatHostPort(expected)).toBe(text);
  });

  it.each([
    ["110", /expected HOST:PORT/],
    ["::1:110", /IPv6 address goes in brackets/],
    ["[nope]:110", /not an IPv6 address/],
    [":110", /host name or address/],
    ["host:65536", /port number from 0 to 65535/],
    ["host:", /port number/],
    ["host:-1", /port number/],
    ["host:1e3", /port number/],
    ["a b:1", /host name or address/],
  ])("refuses %s with a reason", (text, reason) => {
    const result = parseHostPort(text);
    expect("error" in result && result.error).toMatch(reason);
  });
});
