/**
 * The user's language preferences for LANG (RFC 6856 section 3), best first: `--lang`
 * (comma-separated language ranges), else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`, and
 * GNU's `LANGUAGE` list), turned from POSIX form (`de_CH.UTF-8`) into language tags (`de-CH`).
 * Empty for the C and POSIX locales: then apop sends no LANG.
 */
export function languagePreferences(options: {
  readonly lang: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}): string[] {
  if (options.lang !== undefined) return splitList(options.lang);
  const { env } = options;
  const locale = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v !== undefined && v !== "");
  if (locale === undefined) return [];
  const fromLocale = posixToTag(locale);
  if (fromLocale === null) return [];
  // GNU gettext's LANGUAGE list counts only with a real locale (it is ignored under C).
  const extra = (env.LANGUAGE ?? "").split(":").flatMap((entry) => posixToTag(entry) ?? []);
  return [...new Set([...extra, fromLocale])];
}

function splitList(list: string): string[] {
  return list
    .split(",")
    .map((range) => range.trim())
    .filter((range) => range !== "");
}

/** `de_CH.UTF-8@euro` to `de-CH`; null for C, POSIX and anything that is not a tag. */
function posixToTag(locale: string): string | null {
  const base = locale.split(/[.@]/)[0] ?? "";
  if (base === "" || base === "C" || base === "POSIX") return null;
  const tag = base.replace("_", "-");
  return /^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag) ? tag : null;
}
