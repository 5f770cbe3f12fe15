import { describe, expect, it } from "vitest";
import { urlConnectTarget } from "./url-connect-target.ts";

describe("urlConnectTarget", () => {
  it("takes the host, the port and the scheme's TLS mode", () => {
    expect(urlConnectTarget({ url: "pop3s://alice@pop.example.org:1995" })).toEqual({
      host: "pop.example.org",
      port: 1995,
      tls: "implicit",
    });
    expect(urlConnectTarget({ url: "pop://bob;AUTH=+APOP@[::1]" })).toEqual({
      host: "::1",
      tls: "starttls",
    });
  });

  it("lets tls override the scheme, leaving an unnamed port to that mode's default", () => {
    const target = urlConnectTarget({ url: "pop://pop.example.org", tls: "implicit" });
    expect(target).toEqual({ host: "pop.example.org", tls: "implicit" });
    expect("port" in target).toBe(false);
    expect(urlConnectTarget({ url: "pop3://h:110", tls: "none" }).tls).toBe("none");
  });

  it("refuses what parsePop3Url refuses", () => {
    expect(() => urlConnectTarget({ url: "pop3://alice:secret@h" })).toThrow(/no password/);
  });
});
