/**
 * Where two byte strings first differ, in words: lengths, the offset, and the bytes around
 * it escaped (CR and LF visible). Null when they are equal. Used instead of a deep-equal
 * diff, which is unreadable (and slow) for a 10 MiB message.
 */
export function describeDifference(actual: Uint8Array, expected: Uint8Array): string | null {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength);
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  if (a.equals(e)) return null;
  let offset = 0;
  const shorter = Math.min(a.length, e.length);
  while (offset < shorter && a[offset] === e[offset]) offset += 1;
  const from = Math.max(0, offset - 40);
  return (
    `got ${a.length} octets, expected ${e.length}; first difference at octet ${offset}\n` +
    `    got:      ${escapeBytes(a.subarray(from, offset + 40))}\n` +
    `    expected: ${escapeBytes(e.subarray(from, offset + 40))}`
  );
}

/** Bytes as a readable one-line string: printable ASCII as is, the rest as `\r`, `\n`, `\xNN`. */
export function escapeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) {
    if (byte === 0x0d) out += "\\r";
    else if (byte === 0x0a) out += "\\n";
    else if (byte === 0x5c) out += "\\\\";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}

/**
 * Checks a set of received messages against the expected bytes, and throws one error that
 * lists every message that differs (not just the first).
 */
export function assertAllSame(
  label: string,
  pairs: readonly { name: string; actual: Uint8Array | undefined; expected: Uint8Array }[],
): void {
  const problems: string[] = [];
  for (const { name, actual, expected } of pairs) {
    if (actual === undefined) {
      problems.push(`${name}: not received`);
      continue;
    }
    const difference = describeDifference(actual, expected);
    if (difference !== null) problems.push(`${name}: ${difference}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `${label}: ${problems.length} of ${pairs.length} messages differ\n  ${problems.join("\n  ")}`,
    );
  }
}
