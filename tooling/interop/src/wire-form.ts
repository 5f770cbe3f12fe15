const CR = 0x0d;
const LF = 0x0a;

/**
 * What RFC 1939 says must arrive at a client for a stored message, after the client has
 * removed the dot-stuffing and the terminating `.` line (section 3):
 *
 * - every line ends in CRLF: a CRLF on disk stays, a bare LF becomes CRLF (section 3, and
 *   section 11: messages are RFC 822 text, whose lines end in CRLF);
 * - a last line without any line end gets CRLF, because the multi-line response is made of
 *   CRLF-terminated lines followed by `.CRLF` (section 3).
 *
 * A CR that is not followed by LF is message content and stays (the corpus has none).
 */
export function wireForm(stored: Uint8Array): Buffer {
  const out = Buffer.alloc(stored.length * 2 + 2);
  let length = 0;
  let previous = -1;
  for (const byte of stored) {
    if (byte === LF && previous !== CR) out[length++] = CR;
    out[length++] = byte;
    previous = byte;
  }
  if (stored.length > 0 && previous !== LF) {
    out[length++] = CR;
    out[length++] = LF;
  }
  return out.subarray(0, length);
}

/**
 * The size LIST and STAT report for a stored message, as apop and Dovecot both count it:
 * the wire form (CRLF line ends, section 11) without the CRLF that the server adds to an
 * unterminated last line.
 */
export function listSize(stored: Uint8Array): number {
  const added = stored.length > 0 && stored[stored.length - 1] !== LF ? 2 : 0;
  return wireForm(stored).length - added;
}

/**
 * What `TOP n lines` must return (RFC 1939 section 7): the header section with the blank
 * line that ends it, then the first `lines` lines of the body. A message without a blank
 * line is all header: the whole message.
 */
export function expectedTop(wire: Buffer, lines: number): Buffer {
  let end: number;
  if (wire.subarray(0, 2).equals(Buffer.from("\r\n"))) end = 2;
  else {
    const blank = wire.indexOf("\r\n\r\n");
    if (blank === -1) return wire;
    end = blank + 4;
  }
  for (let line = 0; line < lines && end < wire.length; line += 1) {
    const next = wire.indexOf("\r\n", end);
    end = next === -1 ? wire.length : next + 2;
  }
  return wire.subarray(0, end);
}

/** CRLF pairs to LF, as Unix mail files store lines; any other CR stays. */
export function crlfToLf(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    if (byte === CR && bytes[i + 1] === LF) continue;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** The `Message-ID` of a message (its first one), or null. Headers only. */
export function messageIdOf(bytes: Uint8Array): string | null {
  const text = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 64 * 1024))).toString("latin1");
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const match = /^message-id:[ \t]*(<[^>\r\n]*>)/im.exec(head);
  return match?.[1] ?? null;
}
