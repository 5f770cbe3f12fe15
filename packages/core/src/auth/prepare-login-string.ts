import { isAscii } from "../bytes/ascii.ts";
import { SaslprepError, saslprep } from "./saslprep.ts";

/**
 * A user name or password of USER, PASS or APOP as RFC 6856 section 2.2 wants it from a server
 * that advertises `UTF8 USER`: SASLprep (RFC 4013) applied as to a query string (unassigned
 * code points allowed; `stored` for the APOP secret, which section 2.2 treats as a stored
 * string), or null when it holds a character SASLprep prohibits (section 2.3 of RFC 4013),
 * which the server must reject.
 *
 * A string without non-ASCII is returned unchanged, TAB included: RFC 6856 is about UTF-8
 * strings, and RFC 1939 clients (Twisted's among them) send passwords with TABs, which
 * SASLprep would refuse as control characters.
 */
export function prepareLoginString(options: {
  readonly text: string;
  readonly stored?: boolean;
}): string | null {
  const { text, stored = false } = options;
  if (isAscii(text)) return text;
  try {
    return saslprep({ text, stored });
  } catch (error) {
    if (error instanceof SaslprepError) return null;
    throw error;
  }
}
