import { writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeMaildir, makeRoot } from "../test/fixture.ts";
import { dovecotDefaultUidl, dovecotUidlistSource } from "./dovecot-uidlist-source.ts";
import { parseDovecotUidlist, parseDovecotUidlistFor } from "./parse-dovecot-uidlist.ts";
import { parseMaildirName } from "./parse-maildir-name.ts";

// The example of Dovecot's Maildir documentation, plus a saved POP3 UIDL and junk lines.
const V3 = [
  "3 V1275660208 N25022 G3085f01b7f11094c501100008c4a11c1",
  "25006 :1276528487.M364837P9451.kurkku,S=1355,W=1394:2,",
  "25017 W2481 :1276533073.M242911P3632.kurkku:2,F",
  "25018 P+saved-uidl W10 :1276533074.M1P1.kurkku",
  "25019 P :1276533075.M2P2.kurkku,S=9",
  "garbage line",
  "x :1.bad.uid",
  "",
].join("\n");

describe("parseDovecotUidlist", () => {
  it("reads a version 3 header and records with extensions", () => {
    const uidlist = parseDovecotUidlist(V3);
    expect(uidlist).toMatchObject({
      version: 3,
      uidValidity: 1275660208,
      nextUid: 25022,
      guid: "3085f01b7f11094c501100008c4a11c1",
    });
    expect(
      uidlist?.records.map((r) => [r.uid, Object.fromEntries(r.extensions), r.fileName]),
    ).toEqual([
      [25006, {}, "1276528487.M364837P9451.kurkku,S=1355,W=1394:2,"],
      [25017, { W: "2481" }, "1276533073.M242911P3632.kurkku:2,F"],
      [25018, { P: "+saved-uidl", W: "10" }, "1276533074.M1P1.kurkku"],
      [25019, { P: "" }, "1276533075.M2P2.kurkku,S=9"],
    ]);
  });

  it("reads version 1 (Courier's courierimapuiddb)", () => {
    const uidlist = parseDovecotUidlist("1 1000 7\r\n5 1.a.host:2,S\r\n6 2.b.host\r\n");
    expect(uidlist).toMatchObject({ version: 1, uidValidity: 1000, nextUid: 7 });
    expect(uidlist?.records.map((r) => [r.uid, r.fileName])).toEqual([
      [5, "1.a.host:2,S"],
      [6, "2.b.host"],
    ]);
  });

  it("gives records without extensions one shared, read-only map, not a Map each", () => {
    // 64 MiB of `1 a` lines are 16 million records (docs/security.md, "Quadratic work...").
    const v3 = parseDovecotUidlist(V3)?.records ?? [];
    const v1 = parseDovecotUidlist("1 1000 7\n5 a\n6 b\n")?.records ?? [];
    expect(v3[0]?.extensions.size).toBe(0);
    expect(v3[0]?.extensions).toBe(v1[0]?.extensions);
    expect(v1[1]?.extensions).toBe(v1[0]?.extensions);
    const shared = v1[0]?.extensions as Map<string, string>;
    expect(() => shared.set("P", "x")).toThrow(TypeError);
    expect(() => shared.clear()).toThrow(TypeError);
    expect(v3[1]?.extensions).not.toBe(v3[2]?.extensions);
  });

  it("keeps only the records of the snapshot's unique names, and counts past all of them", () => {
    const text = "3 V1 N2\n9 :1.a.host,S=5:2,S\n4 :2.b.host\n7 W3 :3.c.host,W=3\n";
    const all = parseDovecotUidlistFor({ text });
    expect(all?.records.map((r) => r.uid)).toEqual([9, 4, 7]);
    const some = parseDovecotUidlistFor({ text, uniqueNames: new Set(["3.c.host", "x.host"]) });
    expect(some).toMatchObject({ version: 3, uidValidity: 1, nextUid: 2, afterLastUid: 10 });
    expect(some?.records.map((r) => [r.uid, r.fileName])).toEqual([[7, "3.c.host,W=3"]]);
    expect(parseDovecotUidlistFor({ text: "3 V1 N2\n", uniqueNames: new Set() })).toMatchObject({
      records: [],
      afterLastUid: 1,
    });
  });

  it("answers undefined for an empty file or an unknown version", () => {
    expect(parseDovecotUidlist("")).toBeUndefined();
    expect(parseDovecotUidlist("2 1 2\n1 0 a\n")).toBeUndefined();
  });
});

/** `parseDovecotUidlist` as it was before it walked lines and shared empty maps. */
function parseAsBefore(text: string) {
  const uint32 = (t: string | undefined) =>
    t !== undefined && /^\d{1,10}$/.test(t) && Number(t) <= 0xffffffff ? Number(t) : undefined;
  const lines = text.split("\n");
  const header = (lines[0] ?? "").trimEnd().split(" ");
  const records: [number, Record<string, string>, string][] = [];
  if (header[0] === "3") {
    const fields = new Map(header.slice(1).map((field) => [field.slice(0, 1), field.slice(1)]));
    for (const raw of lines.slice(1)) {
      const line = raw.trimEnd();
      const colon = line.indexOf(" :");
      if (colon === -1) continue;
      const [uidText, ...extensionFields] = line.slice(0, colon).split(" ");
      const uid = uint32(uidText);
      const fileName = line.slice(colon + 2);
      if (uid === undefined || uid === 0 || fileName === "") continue;
      const extensions: Record<string, string> = {};
      for (const field of extensionFields) {
        const key = field.slice(0, 1);
        if (key >= "A" && key <= "Z") extensions[key] = field.slice(1);
      }
      records.push([uid, extensions, fileName]);
    }
    return [3, uint32(fields.get("V")), uint32(fields.get("N")), fields.get("G"), records];
  }
  if (header[0] === "1") {
    for (const line of lines.slice(1)) {
      const match = /^(\d+) (\S.*)$/.exec(line.trimEnd());
      const uid = uint32(match?.[1]);
      if (uid !== undefined && match?.[2] !== undefined) records.push([uid, {}, match[2]]);
    }
    return [1, uint32(header[1]), uint32(header[2]), undefined, records];
  }
  return undefined;
}

describe("parseDovecotUidlist against its former self", () => {
  it("answers the same for any mix of good, odd and broken lines", () => {
    const piece = fc.constantFrom(
      ...["0", "7", "42", "4294967295", "4294967296", "x", "", " ", " :", ":", "\r", "\t"],
      ...["A", "Wx", "P", "P+u", "G1", "a", "1.a.host", "b,S=1:2,S", "\u2028", "\u00a0", "3"],
    );
    const line = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(""));
    const header = fc.constantFrom("3 V1 N2 G9", "1 5 6", "3", "1", "2 1 1", "", "3 V1\r");
    fc.assert(
      fc.property(header, fc.array(line, { maxLength: 8 }), (head, lines) => {
        const text = [head, ...lines].join("\n");
        const now = parseDovecotUidlist(text);
        const shaped =
          now === undefined
            ? undefined
            : [
                now.version,
                now.uidValidity,
                now.nextUid,
                now.guid,
                now.records.map((r) => [r.uid, Object.fromEntries(r.extensions), r.fileName]),
              ];
        expect(shaped).toEqual(parseAsBefore(text));
      }),
      { seed: 1939, numRuns: 2000 },
    );
  });
});

describe("dovecotUidlistSource", () => {
  it("formats Dovecot's default %08Xu%08Xv", () => {
    expect(
      dovecotDefaultUidl({ uid: 25006, uidValidity: 1275660208, guid: "", fileName: "" }),
    ).toBe("000061ae4c0907b0");
  });

  it("answers UIDLs by unique name, whatever the current flags, and leaves the rest to the default", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    writeFileSync(path.join(maildir, "dovecot-uidlist"), V3);
    const lookup = await dovecotUidlistSource().load({ maildir });
    const uid = (fileName: string): string | undefined => lookup(parseMaildirName(fileName));
    // Now in cur/ with other flags, and without the ,S=/,W= fields.
    expect(uid("1276528487.M364837P9451.kurkku:2,RS")).toBe("000061ae4c0907b0");
    expect(uid("1276533073.M242911P3632.kurkku")).toBe("000061b94c0907b0");
    // A saved POP3 UIDL (P) wins; an empty P means the base file name, as in Dovecot.
    expect(uid("1276533074.M1P1.kurkku:2,S")).toBe("+saved-uidl");
    expect(uid("1276533075.M2P2.kurkku,S=9:2,S")).toBe("1276533075.M2P2.kurkku,S=9");
    expect(uid("1700000000.new.delivery")).toBeUndefined();
  });

  it("takes a custom pop3_uidl_format", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    writeFileSync(path.join(maildir, "dovecot-uidlist"), V3);
    const source = dovecotUidlistSource({ format: ({ uid, guid }) => `${uid}.${guid}` });
    const lookup = await source.load({ maildir });
    expect(lookup(parseMaildirName("1276533073.M242911P3632.kurkku:2,F"))).toBe(
      "25017.1276533073.M242911P3632.kurkku",
    );
  });

  it("falls back for every message when the file is missing or its header unknown", async () => {
    const maildir = makeMaildir(makeRoot(), "u");
    const missing = await dovecotUidlistSource().load({ maildir });
    expect(missing(parseMaildirName("1276528487.M364837P9451.kurkku"))).toBeUndefined();
    writeFileSync(
      path.join(maildir, "dovecot-uidlist"),
      "9 what\n25006 :1276528487.M364837P9451.kurkku\n",
    );
    const unknown = await dovecotUidlistSource().load({ maildir });
    expect(unknown(parseMaildirName("1276528487.M364837P9451.kurkku"))).toBeUndefined();
  });
});
