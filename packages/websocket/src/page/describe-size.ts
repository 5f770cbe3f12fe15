/** A message size for a list column: `812 B`, `4.2 KiB`, `1.3 MiB`. */
export function describeSize(octets: number): string {
  if (octets < 1024) return `${octets} B`;
  if (octets < 1024 * 1024) return `${(octets / 1024).toFixed(1)} KiB`;
  return `${(octets / 1024 / 1024).toFixed(1)} MiB`;
}
