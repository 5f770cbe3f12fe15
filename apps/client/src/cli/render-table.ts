/**
 * Lays rows out in columns separated by two spaces, with a header row; columns listed in
 * `alignRight` are right-aligned (numbers). The last column is not padded, so long values
 * (UIDs, meanings) do not drag trailing spaces.
 */
export function renderTable(options: {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly alignRight?: readonly number[];
}): string {
  const { header, rows } = options;
  const right = new Set(options.alignRight ?? []);
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => (row[column] ?? "").length)),
  );
  return all
    .map((row) =>
      row
        .map((cell, column) => {
          if (column === row.length - 1 && !right.has(column)) return cell;
          const width = widths[column] as number;
          return right.has(column) ? cell.padStart(width) : cell.padEnd(width);
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
