/**
 * The server's response texts per language (RFC 6856 section 3): the i-default table of
 * `server-messages.ts` and one table per other language with the same ids (`GERMAN`), and the
 * one place a message id becomes words (`renderMessage`).
 *
 * Before UTF8 (RFC 6856 section 2) no response carries non-ASCII: a text that needs it goes
 * out in i-default instead, which is ASCII by construction (its echoes of client input pass
 * through `visible`; a test checks every id).
 */
import { isAscii } from "../bytes/ascii.ts";
import { GERMAN } from "./german-messages.ts";
import {
  I_DEFAULT,
  type MessageArgs,
  type MessageCatalog,
  type MessageId,
} from "./server-messages.ts";

/** The language of every session until LANG (RFC 2277 section 4.5), and `LANG *`'s default. */
export const DEFAULT_LANGUAGE = "i-default";

/** The languages `LANG` lists, the server's preference first, with their names in themselves. */
export const LANGUAGES: readonly { readonly tag: string; readonly name: string }[] = [
  { tag: "i-default", name: "Default" },
  { tag: "en", name: "English" },
  { tag: "de", name: "Deutsch" },
];

/** Each tag of `LANGUAGES` and its texts; `en` is i-default's English. */
export const CATALOGS: ReadonlyMap<string, MessageCatalog> = new Map([
  [DEFAULT_LANGUAGE, I_DEFAULT],
  ["en", I_DEFAULT],
  ["de", GERMAN],
]);

/**
 * The text of message `id` in `language` (a tag of `LANGUAGES`; any other reads as
 * i-default). Without UTF8 a text that is not ASCII is replaced by the i-default one.
 * Callers on a hot path test `language === DEFAULT_LANGUAGE` first and call `I_DEFAULT[id]`.
 */
export function renderMessage<K extends MessageId>(options: {
  readonly language: string;
  readonly utf8: boolean;
  readonly id: K;
  readonly args: MessageArgs<K>;
}): string {
  const { language, utf8, id, args } = options;
  const english = I_DEFAULT[id] as (...args: MessageArgs<K>) => string;
  const catalog = CATALOGS.get(language);
  if (catalog === undefined || catalog === I_DEFAULT) return english(...args);
  const text = (catalog[id] as (...args: MessageArgs<K>) => string)(...args);
  return utf8 || isAscii(text) ? text : english(...args);
}
