/**
 * The server's response texts per language (RFC 6856 section 3). The session writes its texts
 * in `i-default` (RFC 2277 section 4.5: English, for whoever asked for nothing); this catalog
 * holds the other languages, keyed by those texts (fixed ones verbatim, the ones with numbers
 * or names by pattern). A text without an entry stays in i-default.
 *
 * Before UTF8 (RFC 6856 section 2) no response carries non-ASCII: a translation that needs it
 * is used only once the client has sent UTF8, else the i-default text goes out.
 */

/** The language of every session until LANG (RFC 2277 section 4.5), and `LANG *`'s default. */
export const DEFAULT_LANGUAGE = "i-default";

/** The languages `LANG` lists, the server's preference first, with their names in themselves. */
export const LANGUAGES: readonly { readonly tag: string; readonly name: string }[] = [
  { tag: "i-default", name: "Default" },
  { tag: "en", name: "English" },
  { tag: "de", name: "Deutsch" },
];

type Entry = readonly [RegExp | string, string | ((...groups: string[]) => string)];

/** German, with its umlauts: sent only after UTF8. */
const DE: readonly Entry[] = [
  ["POP3 server ready", "POP3-Server bereit"],
  ["Send PASS", "Bitte PASS senden"],
  ["Nothing to do", "Nichts zu tun"],
  ["UTF8 enabled", "UTF8 eingeschaltet"],
  ["Authentication failed", "Anmeldung fehlgeschlagen"],
  ["POP3 server signing off", "POP3-Server verabschiedet sich"],
  ["Capability list follows", "Fähigkeiten folgen"],
  ["Language listing follows", "Sprachen folgen"],
  ["Begin TLS negotiation", "TLS-Aushandlung beginnt"],
  ["No username given, send USER first", "Kein Benutzername, zuerst USER senden"],
  [
    "Too many bad commands, closing connection",
    "Zu viele ungültige Befehle, Verbindung wird getrennt",
  ],
  ["Line too long", "Zeile zu lang"],
  ["Authentication cancelled", "Anmeldung abgebrochen"],
  [
    /^Logged in, (\d+) messages? \((\d+) octets\)$/,
    (count, size) => `Angemeldet, ${count} Nachricht${count === "1" ? "" : "en"} (${size} Oktette)`,
  ],
  [/^Message (\d+) deleted$/, (n) => `Nachricht ${n} gelöscht`],
  [/^There is no message (\d+), only (\d+)$/, (n, total) => `Keine Nachricht ${n}, nur ${total}`],
  [/^Message (\d+) is deleted$/, (n) => `Nachricht ${n} ist gelöscht`],
  [
    /^POP3 server signing off \((\d+) messages? left\)$/,
    (left) => `POP3-Server verabschiedet sich (${left} Nachricht${left === "1" ? "" : "en"} übrig)`,
  ],
  [/^(\S+) Language set$/, (tag) => `${tag} Sprache eingestellt`],
];

const CATALOG: ReadonlyMap<string, readonly Entry[]> = new Map([["de", DE]]);

const ASCII = /^[\x20-\x7e]*$/;

/**
 * The text in `language`, or `text` itself (i-default) when the catalog has no entry for it,
 * or when the translation needs non-ASCII and the client has not sent UTF8.
 */
export function translate(options: {
  readonly language: string;
  readonly text: string;
  readonly utf8: boolean;
}): string {
  const { language, text, utf8 } = options;
  for (const [pattern, replacement] of CATALOG.get(language) ?? []) {
    let translated: string | null = null;
    if (typeof pattern === "string") {
      if (pattern === text) translated = replacement as string;
    } else {
      const match = pattern.exec(text);
      if (match !== null) {
        translated = typeof replacement === "string" ? replacement : replacement(...match.slice(1));
      }
    }
    if (translated !== null) return utf8 || ASCII.test(translated) ? translated : text;
  }
  return text;
}
