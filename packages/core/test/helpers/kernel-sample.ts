/**
 * A 300 KiB stored message that crosses the kernel's 256 KiB slice with every case of RETR's
 * encoding: LF and CRLF endings, lines starting with a dot, lone CRs, 8-bit octets.
 */
export function kernelSample(): Uint8Array {
  const lines = ["From: a@example.org", "", ".", "..", ".x", "a\rb", "\r", "\u00ff\u0080", "plain"];
  const message: number[] = [];
  for (let n = 0; message.length < 300 * 1024; n++) {
    const line = `${lines[n % lines.length]}${"y".repeat(n % 97)}`;
    for (const char of line) message.push(char.charCodeAt(0));
    if (n % 3 === 0) message.push(0x0d);
    message.push(0x0a);
  }
  return Uint8Array.from(message);
}

/** The wire octets of RETR for `message`, fed to `core`'s encoder in chunks of `size`. */
export function wireOf(
  core: { MultilineEncoder: new () => { encode(c: Uint8Array): Uint8Array; end(): Uint8Array } },
  message: Uint8Array,
  size: number,
): number[] {
  const encoder = new core.MultilineEncoder();
  const wire: number[] = [];
  for (let at = 0; at < message.length; at += size) {
    for (const octet of encoder.encode(message.subarray(at, at + size))) wire.push(octet);
  }
  for (const octet of encoder.end()) wire.push(octet);
  return wire;
}
