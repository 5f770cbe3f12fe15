import { describe, expect, it } from "vitest";
import { maildirUniqueName, parseMaildirName } from "./parse-maildir-name.ts";

describe("parseMaildirName", () => {
  it.each([
    // [file name, unique name, delivered at, ,W= size]
    ["1035478339.27041_118.foo.org", "1035478339.27041_118.foo.org", 1035478339, undefined],
    ["1035478339.27041_118.foo.org:2,S", "1035478339.27041_118.foo.org", 1035478339, undefined],
    [
      "1035478339.27041_118.foo.org,S=1000,W=1030:2,S",
      "1035478339.27041_118.foo.org",
      1035478339,
      1030,
    ],
    [
      "1276528487.M364837P9451.kurkku,S=1355:2,",
      "1276528487.M364837P9451.kurkku",
      1276528487,
      undefined,
    ],
    ["1276528487.M364837P9451.kurkku,W=12,S=10", "1276528487.M364837P9451.kurkku", 1276528487, 12],
    ["1276528487.M1.kurkku,W=abc:2,", "1276528487.M1.kurkku", 1276528487, undefined],
    // Several `,W=`: the last decimal one counts; an empty or lower-case one is no size.
    ["1.a,W=5,W=x:2,", "1.a", 1, 5],
    ["1.a,W=x,W=6", "1.a", 1, 6],
    ["1.a,X=,W=7,Y=1", "1.a", 1, 7],
    ["1.a,,W=8", "1.a,", 1, 8],
    ["1.a,S=1,W=", "1.a", 1, undefined],
    ["1.a,w=5", "1.a", 1, undefined],
    ["msg-without-time:2,FS", "msg-without-time", undefined, undefined],
    ["1,2,3.host", "1,2,3.host", undefined, undefined],
    ["12345", "12345", undefined, undefined],
  ])("reads %s", (fileName, uniqueName, deliveredAt, wireSize) => {
    const name = parseMaildirName(fileName);
    expect(name).toMatchObject({ fileName, uniqueName, deliveredAt, wireSize });
  });

  it("keeps Dovecot's base file name, with its fields, apart from the unique name", () => {
    expect(parseMaildirName("1.a.b,S=5,W=6:2,S").base).toBe("1.a.b,S=5,W=6");
  });

  it("gives the same unique name before and after a move to cur/ and flag changes", () => {
    const names = [
      "1700000000.M1P2.host,S=42",
      "1700000000.M1P2.host,S=42:2,",
      "1700000000.M1P2.host,S=42:2,RS",
    ];
    expect(new Set(names.map((n) => parseMaildirName(n).uniqueName))).toEqual(
      new Set(["1700000000.M1P2.host"]),
    );
  });

  it("answers the same unique name as maildirUniqueName, which computes nothing else", () => {
    for (const name of [
      "1.a.b,S=5,W=6:2,S",
      "1.a.b:2,",
      "x,w=1",
      "x,W=",
      ":2,S",
      "",
      "a,S=1,Z=2",
    ]) {
      expect(maildirUniqueName(name)).toBe(parseMaildirName(name).uniqueName);
    }
  });
});
