import { describe, expect, it } from "vitest";
import { chooseLanguage, languageMatches } from "./match-language.ts";

describe("basic filtering (RFC 4647 section 3.3.1)", () => {
  it.each([
    ["de", "de", true],
    ["de", "de-CH", true],
    ["DE", "de-ch", true],
    ["de-CH", "de", false],
    ["d", "de", false],
    ["*", "i-default", true],
  ])("%s matches %s: %s", (range, tag, matches) => {
    expect(languageMatches({ range, tag })).toBe(matches);
  });
});

describe("chooseLanguage: the user's preferences against what LANG lists", () => {
  const offered = ["i-default", "en", "de"];
  it.each([
    [["de-CH", "en"], "de"],
    [["fr", "en-GB"], "en"],
    [["fr"], null],
    [["*"], "i-default"],
  ] as const)("%j picks %s", (preferences, chosen) => {
    expect(chooseLanguage({ preferences, offered })).toBe(chosen);
  });
});
