import { describe, expect, it } from "vitest";
import { GERMAN } from "./german-messages.ts";
import { CATALOGS, LANGUAGES, renderMessage } from "./message-catalog.ts";
import { I_DEFAULT, type MessageCatalog, type MessageId, visible } from "./server-messages.ts";

const IDS = Object.keys(I_DEFAULT) as MessageId[];

/** Client input at its worst where a text echoes it; plain figures and names elsewhere. */
const ECHOED = new Set(["value", "reason", "range", "mechanism"]);
const HOSTILE = "gr\u00fc\u00dfe\r\n-ERR \u{1f389}";
const params = new Proxy(
  {},
  { get: (_, key) => (typeof key === "string" && ECHOED.has(key) ? HOSTILE : 2) },
);
const render = (catalog: MessageCatalog, id: MessageId): string =>
  (catalog[id] as (p: unknown) => string)(params);

describe("the message catalog (RFC 6856 section 3)", () => {
  it("has a German text for every id, and no other ids", () => {
    expect(Object.keys(GERMAN).sort()).toEqual([...IDS].sort());
    for (const id of IDS) expect(render(GERMAN, id), id).not.toBe("");
  });

  it("has a table for every language LANG lists", () => {
    for (const { tag } of LANGUAGES) expect(CATALOGS.has(tag), tag).toBe(true);
  });

  it("writes i-default in printable ASCII whatever the client sent (RFC 6856 section 2)", () => {
    for (const id of IDS) expect(render(I_DEFAULT, id), id).toMatch(/^[\x20-\x7e]*$/);
  });

  it("never lets an echo forge a line in any language", () => {
    for (const [tag, catalog] of CATALOGS) {
      for (const id of IDS) expect(render(catalog, id), `${tag} ${id}`).not.toMatch(/[\r\n]/);
    }
  });

  it("puts the parameters into words", () => {
    const args: [{ count: number; octets: number }] = [{ count: 1, octets: 120 }];
    expect(renderMessage({ language: "i-default", utf8: false, id: "loggedIn", args })).toBe(
      "Logged in, 1 message (120 octets)",
    );
    expect(renderMessage({ language: "de", utf8: false, id: "loggedIn", args })).toBe(
      "Angemeldet, 1 Nachricht (120 Oktette)",
    );
    expect(
      renderMessage({ language: "en", utf8: true, id: "deleted", args: [{ message: 3 }] }),
    ).toBe("Message 3 deleted");
  });

  it("sends German with umlauts only after UTF8, else the i-default text", () => {
    const id = "capabilityList";
    expect(renderMessage({ language: "de", utf8: true, id, args: [] })).toBe("Fähigkeiten folgen");
    expect(renderMessage({ language: "de", utf8: false, id, args: [] })).toBe(
      "Capability list follows",
    );
  });

  it("reads an unknown language as i-default", () => {
    expect(renderMessage({ language: "fr", utf8: true, id: "nothingToDo", args: [] })).toBe(
      "Nothing to do",
    );
  });

  it("shows echoed input as printable ASCII, cut", () => {
    expect(visible("r\u00f6se")).toBe("r?se");
    expect(visible("x".repeat(30))).toBe(`${"x".repeat(20)}...`);
  });

  it("is checked by the compiler: a missing id or a wrong parameter fails tsc", () => {
    const { loggedIn: _, ...missing } = GERMAN;
    // @ts-expect-error -- `loggedIn` is missing.
    const incomplete: MessageCatalog = missing;
    const wrongParameter: MessageCatalog = {
      ...GERMAN,
      // @ts-expect-error -- `count` is a number, and there is no `name`.
      loggedIn: ({ name }: { name: string }) => name,
    };
    expect([incomplete, wrongParameter]).toHaveLength(2);
  });
});
