/**
 * A CAPA reply (RFC 2449 section 5): one capability per line, a tag then arguments separated
 * by spaces. Tags are case-insensitive; we keep them upper-cased. Known tags: TOP, USER, SASL,
 * RESP-CODES, LOGIN-DELAY, PIPELINING, EXPIRE, UIDL, IMPLEMENTATION (RFC 2449 section 6),
 * STLS (RFC 2595), AUTH-RESP-CODE (RFC 3206), UTF8 and LANG (RFC 6856).
 */
export type Capabilities = ReadonlyMap<string, readonly string[]>;

/** Parses the lines of a CAPA reply. Blank lines are skipped; a repeated tag keeps the first. */
export function parseCapabilities(lines: readonly string[]): Capabilities {
  const capabilities = new Map<string, readonly string[]>();
  for (const line of lines) {
    const [tag, ...args] = line.split(" ").filter((field) => field !== "");
    if (tag === undefined) continue;
    const name = tag.toUpperCase();
    if (!capabilities.has(name)) capabilities.set(name, args);
  }
  return capabilities;
}

/** Formats capabilities as the lines of a CAPA reply, in insertion order. */
export function formatCapabilities(capabilities: Capabilities): string[] {
  return [...capabilities].map(([tag, args]) => [tag, ...args].join(" "));
}

/** The SASL mechanisms a CAPA reply offers (RFC 5034 section 3), upper-cased. */
export function saslMechanisms(capabilities: Capabilities): string[] {
  return (capabilities.get("SASL") ?? []).map((name) => name.toUpperCase());
}
