import { describe, expect, it } from "vitest";
import { formatMaildirFileName, parseMaildirFileName } from "./maildir-file-name.ts";
import { uidKey } from "./uid-key.ts";

describe("uidKey", () => {
  it.each([
    ["abc-DEF_123", "Uabc-DEF_123"],
    ["1000.M1P1Q1.host", "U1000=2EM1P1Q1=2Ehost"],
    ["a/b:c,d=e f", "Ua=2Fb=3Ac=2Cd=3De=20f"],
    ["é", "U=C3=A9"],
  ])("escapes %j as %j", (uid, key) => {
    expect(uidKey(uid)).toBe(key);
  });

  it("hashes a UID whose escaped form would be long, so names stay short", () => {
    const key = uidKey("/".repeat(100));
    expect(key).toMatch(/^H[0-9a-f]{40}$/);
    expect(uidKey("/".repeat(100))).toBe(key);
    expect(uidKey("/".repeat(101))).not.toBe(key);
    expect(uidKey("a".repeat(120))).toBe(`U${"a".repeat(120)}`);
    expect(uidKey("a".repeat(121))).toMatch(/^H[0-9a-f]{40}$/);
  });

  it("goes through a Maildir file name and back, also after a mail reader added flags and sizes", () => {
    for (const uid of ["x", "1000.M1P1Q1.host", "a:b,c", "=".repeat(300)]) {
      const name = formatMaildirFileName({
        nowMs: 1_732_612_345_678,
        pid: 42,
        counter: 7,
        accountTag: "0123abcd",
        uidKey: uidKey(uid),
        host: "mail.example:org/x",
      });
      expect(name).toMatch(
        /^1732612345\.M678000P42Q7-0123abcd-[UH][^./:,]+\.mail\.example\\072org\\057x$/,
      );
      for (const seen of [name, `${name}:2,S`, `${name},S=100:2,RS`]) {
        expect(parseMaildirFileName(seen)).toEqual({
          accountTag: "0123abcd",
          uidKey: uidKey(uid),
          pid: 42,
          host: "mail.example\\072org\\057x",
        });
      }
    }
    expect(parseMaildirFileName("1732612345.M1P2Q3.otherhost")).toBeNull();
  });
});
