/** "00" to "ff", built once: one table lookup per byte instead of `toString(16)` and padding. */
const HEX_PAIRS: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  byte.toString(16).padStart(2, "0"),
);

/**
 * Lower-case hexadecimal, two digits per byte. Lower case because RFC 1939 section 7 (APOP)
 * and RFC 2195 section 2 (CRAM-MD5) require the digest in lower case on the wire.
 */
export function toHex(bytes: Uint8Array): string {
  // Joined, not appended: `+=` makes a rope of one node per byte, which a string kept for a
  // whole session (the APOP timestamp) would hold all that time.
  const pairs = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) pairs[i] = HEX_PAIRS[bytes[i] as number] as string;
  return pairs.join("");
}
