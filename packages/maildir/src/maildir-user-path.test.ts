import path from "node:path";
import { StoreError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { maildirUserPath } from "./maildir-user-path.ts";

describe("maildirUserPath", () => {
  it("puts a user's Maildir directly under the root", () => {
    expect(maildirUserPath({ root: "/srv/mail", user: "alice@example.com" })).toBe(
      path.join("/srv/mail", "alice@example.com"),
    );
    expect(maildirUserPath({ root: "/srv/mail", user: "a..b" })).toBe(
      path.join("/srv/mail", "a..b"),
    );
  });

  it.each([
    ["empty", ""],
    ["dot", "."],
    ["dot-dot", ".."],
    ["leading dot", ".hidden"],
    ["slash", "a/b"],
    ["parent by slash", "../etc"],
    ["backslash", "..\\etc"],
    ["NUL", "a\u0000b"],
    ["newline", "a\nb"],
    ["DEL", "a\u007fb"],
    ["C1 control", "a\u0085b"],
    ["colon", "C:evil"],
    ["over-long", "u".repeat(256)],
    ["over-long in UTF-8", "\u00e9".repeat(128)],
  ])("refuses %s with sys-perm", (_label, user) => {
    let caught: unknown;
    try {
      maildirUserPath({ root: "/srv/mail", user });
    } catch (error) {
      caught = error;
    }
    expect(StoreError.isInstance(caught) && caught.code).toBe("sys-perm");
    expect((caught as Error).message).toMatch(/^invalid user name/);
  });
});
