/**
 * Basic filtering of language tags by a language range (RFC 4647 section 3.3.1), as RFC 6856
 * section 3 asks of `LANG`: a range matches a tag equal to it, or one that starts with it
 * followed by `-` (`de` matches `de-CH`), case-insensitively; `*` matches every tag.
 */
export function languageMatches(options: {
  readonly range: string;
  readonly tag: string;
}): boolean {
  const range = options.range.toLowerCase();
  const tag = options.tag.toLowerCase();
  return range === "*" || tag === range || tag.startsWith(`${range}-`);
}

/**
 * The client's side of RFC 6856 section 3: the first tag the server lists that one of the
 * user's preferred ranges matches, trying the preferences in order (`de-CH` before `de`
 * before `*`), or null. A range that matches nothing falls back, as RFC 4647 section 3.4
 * describes, by dropping its last subtag (`de-CH` then `de`).
 */
export function chooseLanguage(options: {
  readonly preferences: readonly string[];
  readonly offered: readonly string[];
}): string | null {
  for (const preference of options.preferences) {
    for (let range = preference; range !== ""; range = range.replace(/-?[^-]*$/, "")) {
      const tag = options.offered.find((offered) => languageMatches({ range, tag: offered }));
      if (tag !== undefined) return tag;
    }
  }
  return null;
}
