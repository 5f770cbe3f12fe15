import path from "node:path";
import { describe, expect, it } from "vitest";
import { childPath, isOneComponent } from "./child-path.ts";

describe("childPath", () => {
  it("answers what path.join answers for a clean absolute folder and one component", () => {
    for (const [dir, name] of [
      ["/srv/mail/u", "apop.lock"],
      ["/proc/self/fd/17", "cur"],
      ["/", "u"],
      ["/srv/mail/", "u"],
      ["/srv/mail/u/cur", "1700000000.M1P1.host,S=5,W=6:2,S"],
    ] as const) {
      expect(childPath(dir, name)).toBe(path.join(dir, name));
    }
  });

  it("leaves a relative folder to path.join", () => {
    expect(childPath("", "apop.lock")).toBe("apop.lock");
    expect(childPath("./mail/u/", "apop.lock")).toBe(path.join("./mail/u/", "apop.lock"));
  });
});

describe("isOneComponent", () => {
  it("accepts a plain file name and refuses paths, empty, . and ..", () => {
    expect(isOneComponent("dovecot-pop3-session.lock")).toBe(true);
    for (const name of ["", ".", "..", "a/b", "/abs", "../up"]) {
      expect(isOneComponent(name)).toBe(false);
    }
  });
});
