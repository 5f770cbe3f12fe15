// The benchmark table, as Markdown, with the ratio apop/other oriented so that > 1 is better
// for apop whichever way the figure counts.
const fmt = (value) =>
  value === null || value === undefined || Number.isNaN(value)
    ? "–"
    : Math.abs(value) >= 100
      ? value.toFixed(0)
      : value.toFixed(2);

export function printTable(rows, other = "dovecot", otherLabel = "Dovecot") {
  const lines = [
    `| figure | unit | apop | ${otherLabel} | apop vs ${otherLabel} | floor |`,
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const a = row.apop;
    const b = row[other];
    const ratio = a && b ? (row.better === "lower" ? b / a : a / b) : null;
    lines.push(
      `| ${row.figure}${row.note ? ` (${row.note})` : ""} | ${row.unit} | ${fmt(a)} | ${fmt(b)} | ${ratio === null ? "–" : `${ratio.toFixed(2)}×`} | ${fmt(row.floor)} |`,
    );
  }
  console.log(lines.join("\n"));
}
