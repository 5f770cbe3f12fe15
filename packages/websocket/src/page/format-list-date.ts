/**
 * A date for the list's narrow Date column, in the reader's locale and time zone: the time
 * for today, day and month for this year, and the year too for older mail.
 */
export function formatListDate(options: { date: Date; now: Date; locale?: string }): string {
  const { date, now } = options;
  const sameYear = date.getFullYear() === now.getFullYear();
  const sameDay =
    sameYear && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  const format: Intl.DateTimeFormatOptions = sameDay
    ? { hour: "2-digit", minute: "2-digit" }
    : sameYear
      ? { day: "numeric", month: "short" }
      : { day: "numeric", month: "short", year: "numeric" };
  return new Intl.DateTimeFormat(options.locale, format).format(date);
}
