import { describe, expect, it } from "vitest";
import { Pop3Error } from "./pop3-error.ts";

describe("Pop3Error", () => {
  it.each([
    [undefined, "err"],
    ["IN-USE", "in-use"],
    ["in-use", "in-use"],
    ["IN-USE/SHARED", "in-use"],
    ["LOGIN-DELAY/USER", "login-delay"],
    ["IN-USEX", "err"],
    ["LOGIN-DELAY", "login-delay"],
    ["SYS/TEMP", "sys-temp"],
    ["SYS/TEMP/DISK", "sys-temp"],
    ["SYS/PERM", "sys-perm"],
    ["sys/perm/quota", "sys-perm"],
    ["AUTH", "auth"],
    ["AUTH/EXPIRED", "auth"],
    ["UTF8", "utf8"],
    ["SYS", "err"],
    ["SYS/TEMPORARY", "err"],
    ["AUTHX", "err"],
    ["X-VENDOR", "err"],
  ] as const)(
    "maps the response code %s to %s (RFC 2449 section 8, RFC 3206)",
    (code, expected) => {
      const error = new Pop3Error({ command: "PASS", responseCode: code, serverText: "t" });
      expect(error.code).toBe(expected);
      expect(error.responseCode).toBe(code);
    },
  );

  it("says which command failed and what the server said", () => {
    const error = new Pop3Error({ command: "RETR", responseCode: "SYS/TEMP", serverText: "later" });
    expect(error.message).toBe("RETR failed: -ERR [SYS/TEMP] later");
    expect(error.command).toBe("RETR");
    expect(error.serverText).toBe("later");
  });

  it("leaves out the code and text when there are none", () => {
    expect(new Pop3Error({ command: "GREETING", serverText: "" }).message).toBe(
      "GREETING failed: -ERR",
    );
  });
});
