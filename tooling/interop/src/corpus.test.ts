import { describe, expect, it } from "vitest";
import { BIG_MESSAGE_OCTETS, BULK_COUNT, buildBulkCorpus, buildCorpus } from "./corpus.ts";
import { fetchmailForm } from "./fetchmail-form.ts";
import { corpusMessageId } from "./read-delivered.ts";
import { crlfToLf, expectedTop, listSize, messageIdOf, wireForm } from "./wire-form.ts";

const bytes = (text: string): Buffer => Buffer.from(text, "latin1");

describe("the expected bytes (RFC 1939)", () => {
  it("turns bare LF into CRLF and keeps CRLF", () => {
    expect(wireForm(bytes("a\nb\r\nc\n")).toString("latin1")).toBe("a\r\nb\r\nc\r\n");
  });

  it("adds CRLF to an unterminated last line, and LIST does not count it", () => {
    expect(wireForm(bytes("a\nlast")).toString("latin1")).toBe("a\r\nlast\r\n");
    expect(listSize(bytes("a\nlast"))).toBe(7);
    expect(listSize(bytes("a\nb\n"))).toBe(6);
  });

  it("keeps a CR that is not followed by LF", () => {
    expect(wireForm(bytes("a\rb\n")).toString("latin1")).toBe("a\rb\r\n");
  });

  it("cuts TOP after the blank line and the asked body lines, or returns a header-only message whole", () => {
    const wire = bytes("H: 1\r\n\r\nb1\r\nb2\r\n");
    expect(expectedTop(wire, 0).toString("latin1")).toBe("H: 1\r\n\r\n");
    expect(expectedTop(wire, 1).toString("latin1")).toBe("H: 1\r\n\r\nb1\r\n");
    expect(expectedTop(wire, 9).toString("latin1")).toBe("H: 1\r\n\r\nb1\r\nb2\r\n");
    expect(expectedTop(bytes("H: 1\r\nH: 2\r\n"), 0).toString("latin1")).toBe("H: 1\r\nH: 2\r\n");
  });

  it("turns only CRLF pairs into LF", () => {
    expect(crlfToLf(bytes("a\r\nb\rc\r\n")).toString("latin1")).toBe("a\nb\rc\n");
  });
});

describe("the corpus", () => {
  const corpus = buildCorpus();

  it("gives every message a unique Message-ID that names it", () => {
    for (const message of corpus)
      expect(messageIdOf(message.stored)).toBe(corpusMessageId(message.name));
    expect(new Set(corpus.map((message) => message.name)).size).toBe(corpus.length);
  });

  it("holds no bare CR, whose wire form RFC 1939 leaves open", () => {
    for (const message of corpus) {
      const bare: number[] = [];
      for (
        let at = message.stored.indexOf(0x0d);
        at !== -1;
        at = message.stored.indexOf(0x0d, at + 1)
      ) {
        if (message.stored[at + 1] !== 0x0a) bare.push(at);
      }
      expect(bare, message.name).toEqual([]);
    }
  });

  it("puts its tricky bytes where it says", () => {
    const byName = new Map(corpus.map((message) => [message.name, message.stored]));
    expect(byName.get("ten-mib")?.length).toBe(BIG_MESSAGE_OCTETS);
    expect(byName.get("dot-at-64k-lf")?.subarray(65535, 65538).toString("latin1")).toBe("\n.\n");
    expect(byName.get("crlf-split-at-64k")?.subarray(65535, 65540).toString("latin1")).toBe(
      "\r\n.\r\n",
    );
    expect(byName.get("no-final-newline")?.at(-1)).not.toBe(0x0a);
    expect(byName.get("no-final-newline-dot")?.subarray(-2).toString("latin1")).toBe("\n.");
    const longest = (name: string) =>
      Math.max(...(byName.get(name)?.toString("latin1").split("\n") ?? []).map((l) => l.length));
    expect(longest("long-line-2000")).toBe(2000);
    expect(longest("long-line-10000")).toBe(10000);
    expect(buildBulkCorpus()).toHaveLength(BULK_COUNT);
  });
});

describe("fetchmail's observed form", () => {
  it("cuts a line after 8,191 octets as it travels, counting the stuffed dot", () => {
    const line = "x".repeat(8191 + 5);
    const out = fetchmailForm(bytes(`H: 1\r\n\r\n${line}\r\n.${line}\r\n`)).toString("latin1");
    expect(out).toBe(
      `H: 1\n\n${line.slice(0, 8191)}\0\0\n${line.slice(8191)}\n.${line.slice(0, 8189)}\0\0\n${line.slice(8189)}\n`,
    );
  });

  it("adds the blank line after a header section that has none", () => {
    expect(fetchmailForm(bytes("H: 1\r\n")).toString("latin1")).toBe("H: 1\n\n");
    expect(fetchmailForm(bytes("H: 1\r\n\r\n")).toString("latin1")).toBe("H: 1\n\n");
  });
});
