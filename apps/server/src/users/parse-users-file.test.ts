import { describe, expect, it } from "vitest";
import { checkUserName, parseUsersFile } from "./parse-users-file.ts";

describe("parseUsersFile", () => {
  it("reads Dovecot passwd-file lines, skipping comments, blanks and the extra fields", async () => {
    const { users, problems } = parseUsersFile({
      file: "users",
      text: [
        "\uFEFF# a comment",
        "   # an indented comment",
        "alice:{PLAIN}wonderland",
        "",
        "bob:{cleartext}builder:1000:1000:Bob:/home/bob:/bin/sh:userdb_mail=maildir:~/Mail",
        "carol:{PLAIN}with spaces and = signs\r",
        "utf8-Jürgen:{PLAIN}Grüße",
      ].join("\n"),
    });
    expect(problems).toEqual([]);
    expect([...users.keys()]).toEqual(["alice", "bob", "carol", "utf8-Jürgen"]);
    expect(users.get("alice")).toMatchObject({
      line: 3,
      scheme: "PLAIN",
      credential: { kind: "clear", secret: "wonderland" },
    });
    expect(users.get("bob")).toMatchObject({
      scheme: "CLEARTEXT",
      credential: { kind: "clear", secret: "builder" },
    });
    expect(users.get("carol")?.credential).toEqual({
      kind: "clear",
      secret: "with spaces and = signs",
    });
  });

  it("collects every problem with its line", () => {
    const { users, problems } = parseUsersFile({
      file: "f",
      text: "a:{PLAIN}\nb\n:{PLAIN}x\nc d:{PLAIN}x\ne:{SHA512-CRYPT}$6$x$y\nf:{PLAIN}ok\nf:{PLAIN}again",
    });
    expect(problems).toEqual([
      "f:1: the {PLAIN} password is empty",
      'f:2: user "b" has no password field',
      "f:3: the user name is empty",
      'f:4: user name "c d" contains a space or a control character',
      "f:5: {SHA512-CRYPT}: expected $6$[rounds=N$]salt$ followed by 86 hash characters",
      'f:7: user "f" is already defined on line 6',
    ]);
    expect([...users.keys()]).toEqual(["f"]);
  });
});

describe("checkUserName", () => {
  it.each(["..", ".x", "a/b", "a\\b", "c:d", "tab\there", "nul\0"])("refuses %j", (name) => {
    expect(checkUserName(name)).not.toBeNull();
  });
});
