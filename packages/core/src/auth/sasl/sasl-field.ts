import { decodeUtf8, encodeUtf8 } from "../../bytes/utf8.ts";

/**
 * The longest user name, authorization identity or password accepted from a SASL exchange,
 * in octets: RFC 4616 section 2 requires PLAIN servers to accept fields up to 255 octets, and
 * we use the same bound for LOGIN and CRAM-MD5 so no mechanism takes longer input than another.
 */
export const MAX_SASL_FIELD_OCTETS = 255;

/** A decoded field, or why it was refused. */
export type SaslFieldResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Decodes one text field of a SASL message: strict UTF-8 (RFC 4616 section 2, and the same
 * for LOGIN and CRAM-MD5 user names), no NUL, at most 255 octets, and non-empty unless
 * `optional`. `what` names the field in the reason ("user name", "password").
 */
export function decodeSaslField({
  bytes,
  what,
  optional = false,
}: {
  bytes: Uint8Array;
  what: string;
  optional?: boolean;
}): SaslFieldResult {
  if (bytes.length === 0 && !optional) return { ok: false, reason: `the ${what} is empty` };
  if (bytes.length > MAX_SASL_FIELD_OCTETS) {
    return {
      ok: false,
      reason: `the ${what} is ${bytes.length} octets long; at most ${MAX_SASL_FIELD_OCTETS} are accepted`,
    };
  }
  if (bytes.includes(0)) return { ok: false, reason: `the ${what} contains NUL` };
  const value = decodeUtf8(bytes);
  if (value === null) return { ok: false, reason: `the ${what} is not valid UTF-8` };
  return { ok: true, value };
}

/**
 * Encodes one text field for a client exchange as UTF-8, with the rules of `decodeSaslField`
 * so that we never send what our own server would refuse. Throws `RangeError` otherwise: bad
 * credentials are the caller's mistake, found before anything goes on the wire.
 */
export function encodeSaslField({
  text,
  what,
  optional = false,
}: {
  text: string;
  what: string;
  optional?: boolean;
}): Uint8Array {
  const bytes = encodeUtf8(text);
  const checked = decodeSaslField({ bytes, what, optional });
  if (!checked.ok) throw new RangeError(`SASL: ${checked.reason}`);
  return bytes;
}
