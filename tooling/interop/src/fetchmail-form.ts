const LF = 0x0a;
const DOT = 0x2e;

/** fetchmail 6.4's read buffer (MSGBUFSIZE 8192) holds at most this many octets of a line. */
export const FETCHMAIL_LINE_CHUNK = 8191;

/**
 * What fetchmail hands its MDA for a message whose wire form (CRLF lines, RFC 1939) is
 * `wire`, as observed with fetchmail 6.4.37 against both apop-server and Dovecot:
 *
 * - `stripcr` (on by default with an MDA, fetchmail(1)): every line ends in LF;
 * - a message without a blank line after its header section gets one (fetchmail writes the
 *   header/body separator itself);
 * - a line longer than 8,191 octets as it travels (dot-stuffing included) is cut after each
 *   8,191 octets, and two NUL octets and an LF are inserted at each cut. Not documented;
 *   a fetchmail bug, shown to be fetchmail's by fetching the same message from Dovecot.
 */
export function fetchmailForm(wire: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  let inHeader = true;
  while (start < wire.length) {
    const end = wire.indexOf("\r\n", start);
    const line = wire.subarray(start, end === -1 ? wire.length : end);
    start = end === -1 ? wire.length : end + 2;
    if (line.length === 0) inHeader = false;
    // The line as it travels: a leading dot is doubled (RFC 1939 section 3).
    const raw = line[0] === DOT ? Buffer.concat([Buffer.from("."), line]) : line;
    for (let offset = 0; offset < raw.length || offset === 0; offset += FETCHMAIL_LINE_CHUNK) {
      let piece = raw.subarray(offset, offset + FETCHMAIL_LINE_CHUNK);
      if (offset === 0 && line[0] === DOT) piece = piece.subarray(1);
      const last = offset + FETCHMAIL_LINE_CHUNK >= raw.length;
      out.push(piece, last ? Buffer.from([LF]) : Buffer.from([0, 0, LF]));
      if (raw.length === 0) break;
    }
  }
  if (inHeader) out.push(Buffer.from([LF]));
  return Buffer.concat(out);
}
