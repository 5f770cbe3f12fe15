/**
 * The `From ` line that starts a message in an mbox file: `From <sender> <date>\n`, where the
 * sender is the envelope sender as well as it can be known after the fact (the
 * `Return-Path:` header, else the address in `From:`, else `MAILER-DAEMON`) and the date is
 * the delivery time in asctime(3) form, in UTC (as Python's `mailbox` writes it).
 *
 * `header` is the message's header block with LF line ends (it may be cut short). The sender
 * never contains white space, so mail readers split the line right.
 */
export function mboxFromLine(options: { readonly header: Uint8Array; readonly now: Date }): string {
  return `From ${senderOf(options.header)} ${asctime(options.now)}\n`;
}

function senderOf(header: Uint8Array): string {
  // Unfold continuation lines (RFC 5322 section 2.2.3) before looking at fields.
  const text = Buffer.from(header)
    .toString("latin1")
    .replace(/\r?\n[ \t]+/g, " ");
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:[ \\t]*(.*)$`, "im").exec(text)?.[1];
  const returnPath = field("Return-Path");
  if (returnPath !== undefined) {
    const inside = /<([^>]*)>/.exec(returnPath)?.[1] ?? returnPath.trim();
    return clean(inside) || "MAILER-DAEMON";
  }
  const from = field("From");
  if (from !== undefined) {
    const address =
      /<([^>]*@[^>]*)>/.exec(from)?.[1] ??
      from.split(/[\s,;()"]+/).find((word) => word.includes("@"));
    if (address !== undefined) return clean(address) || "MAILER-DAEMON";
  }
  return "MAILER-DAEMON";
}

/** Drops white space, control characters and angle brackets; keeps other bytes. */
function clean(address: string): string {
  let kept = "";
  for (const char of address) {
    const code = char.charCodeAt(0);
    if (code > 0x20 && code !== 0x7f && char !== "<" && char !== ">") kept += char;
  }
  return kept;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `Thu Nov  5 06:55:00 2026`: asctime(3), the day of the month padded with a space. */
function asctime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, " ")} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}
