import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { needs } from "@apop/vitest-preset/needs";
import { describe, expect, it } from "vitest";
import { checkSha512CryptHash, sha512Crypt, verifySha512Crypt } from "./sha512-crypt.ts";

/**
 * The test vectors of Drepper's specification ("Unix crypt using SHA-256 and SHA-512"), each
 * also checked against glibc's crypt(3) (through perl) when this was written. Left out: the
 * `rounds=10` vector (the spec raises it to 1000, current glibc refuses it) and the
 * `rounds=77777` and `rounds=123456` ones, which pass but take seconds.
 */
const VECTORS: readonly [setting: string, password: string, hash: string][] = [
  [
    "$6$saltstring",
    "Hello world!",
    "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
  ],
  [
    "$6$rounds=10000$saltstringsaltstring",
    "Hello world!",
    "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.",
  ],
  [
    "$6$rounds=5000$toolongsaltstring",
    "This is just a test",
    "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0",
  ],
  [
    "$6$rounds=1400$anotherlongsaltstring",
    "a very much longer text to encrypt.  This one even stretches over morethan one line.",
    "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1",
  ],
  // An empty password, and one longer than a SHA-512 block (glibc through perl).
  [
    "$6$abc",
    "",
    "$6$abc$mJP3a6FyA8uCnzRtlnNypPwjnvpi5TP9qOrInzrfDmwxUQG38PkpCPdqfTb8JQfAngapMxeim4AZ..hSdRRzD.",
  ],
];

describe("sha512Crypt", () => {
  it.each(VECTORS)("matches the specification for %s", (setting, password, hash) => {
    expect(sha512Crypt({ password, setting })).toBe(hash);
    expect(verifySha512Crypt({ password, stored: hash })).toBe(true);
    expect(verifySha512Crypt({ password: `${password}x`, stored: hash })).toBe(false);
  });

  needs({ met: existsSync("/usr/bin/openssl"), what: "openssl (npm run setup)" }).it(
    "agrees with openssl passwd -6 on UTF-8 and long passwords",
    () => {
      for (const password of ["Grüße 🎉", "x".repeat(200), "p:a:s:s"]) {
        const hash = execFileSync(
          "/usr/bin/openssl",
          ["passwd", "-6", "-salt", "0123456789abcdef", "-stdin"],
          {
            input: password,
          },
        )
          .toString()
          .trim();
        expect(sha512Crypt({ password, setting: "$6$0123456789abcdef" })).toBe(hash);
      }
    },
  );

  it("refuses malformed stored hashes instead of guessing", () => {
    expect(checkSha512CryptHash("$6$salt$short")).toMatch(/86 hash characters/);
    expect(checkSha512CryptHash(`$6$rounds=10$salt$${"a".repeat(86)}`)).toMatch(/rounds/);
    expect(checkSha512CryptHash(`$5$salt$${"a".repeat(43)}`)).not.toBeNull();
    expect(verifySha512Crypt({ password: "", stored: "$6$salt$short" })).toBe(false);
  });
});
