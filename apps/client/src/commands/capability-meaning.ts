/** What each capability tag tells a client, with the section that defines it. */
const MEANINGS: Readonly<Record<string, string>> = {
  TOP: "TOP: headers and the first lines of a message (RFC 2449 6.1)",
  USER: "USER/PASS login (RFC 2449 6.2)",
  SASL: "AUTH with these SASL mechanisms (RFC 5034)",
  "RESP-CODES": "error replies carry [response codes] (RFC 2449 6.4)",
  "LOGIN-DELAY": "seconds to wait between logins (RFC 2449 6.5)",
  PIPELINING: "commands may be sent without waiting for replies (RFC 2449 6.6)",
  EXPIRE: "days mail stays after it is fetched; NEVER, or 0: do not leave mail (RFC 2449 6.7)",
  UIDL: "UIDL: unique ids that last across sessions (RFC 2449 6.8)",
  IMPLEMENTATION: "the server software, for information only (RFC 2449 6.9)",
  STLS: "STLS: switch this connection to TLS (RFC 2595 4)",
  "AUTH-RESP-CODE": "every credential failure is marked [AUTH] (RFC 3206 6)",
  UTF8: "UTF8: UTF-8 mail headers; with USER, UTF-8 login names (RFC 6856 2)",
  LANG: "LANG: choose the language of server replies (RFC 6856 3)",
};

/** The meaning of a CAPA tag (RFC 2449 section 6 and later RFCs), or a note that it is unknown. */
export function capabilityMeaning(tag: string): string {
  return MEANINGS[tag.toUpperCase()] ?? "not known to apop";
}
