/**
 * Just enough of RFC 5322 and MIME (RFC 2045-2047) for the example page to show a message:
 * unfolded header fields with encoded words decoded, and the first text part of the body in
 * its charset and transfer encoding. Anything it cannot read is shown as it came.
 */

export interface ReadableMessage {
  /** Field names lower-cased, values unfolded and decoded; the first of each name wins. */
  readonly headers: ReadonlyMap<string, string>;
  /** The text to show: the first text/plain part (or the body itself), decoded. */
  readonly text: string;
}

/** Splits the header section (TOP n 0 gives only it) into decoded fields. */
export function parseHeaders(section: string): Map<string, string> {
  const headers = new Map<string, string>();
  // RFC 5322 section 2.2.3: a line starting with white space continues the previous field.
  const unfolded = section.replace(/\r?\n(?=[ \t])/g, "");
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, decodeWords(line.slice(colon + 1).trim()));
  }
  return headers;
}

/** The whole message, for reading. */
export function readMessage(bytes: Uint8Array): ReadableMessage {
  const { head, body } = splitHeadBody(bytes);
  const headers = parseHeaders(utf8OrLatin1(head));
  return { headers, text: textOf(headers, body, 0) };
}

/** RFC 2047 encoded words (`=?UTF-8?B?...?=`), with the blanks between two of them dropped. */
export function decodeWords(value: string): string {
  const word = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;
  return value
    .replace(/(=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=)\s+(?==\?)/g, "$1")
    .replace(word, (whole, charset: string, encoding: string, text: string) => {
      const bytes =
        encoding.toUpperCase() === "B"
          ? base64Bytes(text)
          : quotedPrintableBytes(text.replace(/_/g, " "));
      return bytes === null ? whole : decodeCharset(bytes, charset.replace(/\*.*$/, ""));
    });
}

function textOf(headers: ReadonlyMap<string, string>, body: Uint8Array, depth: number): string {
  const type = headers.get("content-type") ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary !== undefined && depth < 5) {
    for (const part of splitParts(latin1(body), boundary)) {
      const split = splitHeadBody(bytesOfLatin1(part));
      const partHeaders = parseHeaders(utf8OrLatin1(split.head));
      const partType = partHeaders.get("content-type") ?? "text/plain";
      if (/^(text\/plain|multipart\/)/i.test(partType))
        return textOf(partHeaders, split.body, depth + 1);
    }
    return utf8OrLatin1(body);
  }
  const encoding = (headers.get("content-transfer-encoding") ?? "").toLowerCase();
  const decoded =
    encoding === "base64"
      ? base64Bytes(latin1(body).replace(/\s+/g, ""))
      : encoding === "quoted-printable"
        ? quotedPrintableBytes(latin1(body).replace(/=\r?\n/g, ""))
        : body;
  const charset = /charset="?([^";\s]+)"?/i.exec(type)?.[1];
  if (decoded === null) return utf8OrLatin1(body);
  return charset === undefined ? utf8OrLatin1(decoded) : decodeCharset(decoded, charset);
}

function splitHeadBody(bytes: Uint8Array): { head: Uint8Array; body: Uint8Array } {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 0x0a) continue;
    if (bytes[i + 1] === 0x0a) return { head: bytes.subarray(0, i), body: bytes.subarray(i + 2) };
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) {
      return { head: bytes.subarray(0, i), body: bytes.subarray(i + 3) };
    }
  }
  return { head: bytes, body: new Uint8Array(0) };
}

function splitParts(body: string, boundary: string): string[] {
  const parts = body.split(new RegExp(`^--${escapeRegExp(boundary)}(?:--)?[ \\t]*\\r?$\\n?`, "m"));
  // Before the first delimiter is the preamble; after the closing one, the epilogue.
  return parts.slice(1, -1);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function decodeCharset(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase()).decode(bytes);
  } catch {
    return utf8OrLatin1(bytes);
  }
}

function utf8OrLatin1(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

function latin1(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

function bytesOfLatin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

function base64Bytes(text: string): Uint8Array | null {
  try {
    return bytesOfLatin1(atob(text));
  } catch {
    return null;
  }
}

function quotedPrintableBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "=" ? text.slice(i + 1, i + 3) : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      out.push(text.charCodeAt(i) & 0xff);
    }
  }
  return new Uint8Array(out);
}
