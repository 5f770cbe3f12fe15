/**
 * The text of SCRAM messages (RFC 5802 section 7): comma-separated `a=value` attributes, the
 * GS2 header in front of the client's first message, and the `=2C`/`=3D` escaping of names.
 * Messages are UTF-8; every attribute name is one ASCII letter.
 */
import { decodeBase64 } from "../../bytes/base64.ts";
import { decodeUtf8 } from "../../bytes/utf8.ts";

/** A GS2 channel-binding flag (RFC 5802 section 7, `gs2-cbind-flag`). */
export type Gs2Flag =
  | { readonly kind: "n" }
  | { readonly kind: "y" }
  | { readonly kind: "p"; readonly name: string };

export interface ClientFirst {
  readonly flag: Gs2Flag;
  readonly authzid: string | null;
  /** `gs2-header`, exactly as sent: it comes back base64'd in the client's `c=` attribute. */
  readonly gs2Header: string;
  /** `client-first-message-bare`, for the AuthMessage. */
  readonly bare: string;
  readonly user: string;
  readonly nonce: string;
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string };

/** `printable` of RFC 5802 section 7: a nonce is ASCII 0x21..0x7E without a comma. */
export const NONCE_PATTERN = /^[\x21-\x2b\x2d-\x7e]+$/;

/** Escapes `,` and `=` in a saslname (RFC 5802 section 5.1). */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, "=3D").replace(/,/g, "=2C");
}

/** Undoes `escapeSaslName`; null when `=` is followed by anything but `2C` or `3D`. */
export function unescapeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

/**
 * Splits attributes into ordered `[name, value]` pairs. Null when an attribute is not one
 * letter, `=`, and a value.
 */
export function parseAttributes(text: string): [string, string][] | null {
  const out: [string, string][] = [];
  for (const part of text.split(",")) {
    if (!/^[A-Za-z]=/.test(part)) return null;
    out.push([part[0] as string, part.slice(2)]);
  }
  return out;
}

/** Decodes a message; SCRAM messages are UTF-8 text without NUL. */
export function decodeScramMessage(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  return decodeUtf8(bytes);
}

/** Parses `client-first-message` (RFC 5802 section 7). */
export function parseClientFirst(text: string): Parsed<ClientFirst> {
  const first = text.indexOf(",");
  const second = first === -1 ? -1 : text.indexOf(",", first + 1);
  if (second === -1) return fail("the client-first message has no GS2 header");
  const flagText = text.slice(0, first);
  let flag: Gs2Flag;
  if (flagText === "n" || flagText === "y") flag = { kind: flagText };
  else if (/^p=[A-Za-z0-9.-]+$/.test(flagText)) flag = { kind: "p", name: flagText.slice(2) };
  else return fail("the GS2 channel-binding flag is not n, y or p=name");
  const authzidText = text.slice(first + 1, second);
  let authzid: string | null = null;
  if (authzidText !== "") {
    if (!authzidText.startsWith("a=")) return fail("the GS2 authzid is not a=name");
    authzid = unescapeSaslName(authzidText.slice(2));
    if (authzid === null || authzid === "") return fail("the GS2 authzid is badly escaped");
  }
  const bare = text.slice(second + 1);
  const attributes = parseAttributes(bare);
  if (attributes === null) return fail("the client-first message has a malformed attribute");
  // A mandatory extension (m=) we do not know must fail the exchange (section 5.1).
  if (attributes[0]?.[0] === "m") return fail("mandatory extensions (m=) are not supported");
  const [user, nonce] = attributes;
  if (user?.[0] !== "n" || nonce?.[0] !== "r") {
    return fail("the client-first message must start with n= and r=");
  }
  const name = unescapeSaslName(user[1]);
  if (name === null) return fail("the user name has = not followed by 2C or 3D");
  if (!NONCE_PATTERN.test(nonce[1])) return fail("the client nonce is empty or not printable");
  return {
    ok: true,
    value: {
      flag,
      authzid,
      gs2Header: text.slice(0, second + 1),
      bare,
      user: name,
      nonce: nonce[1],
    },
  };
}

export interface ClientFinal {
  /** The decoded `c=` attribute. */
  readonly channelBinding: Uint8Array;
  readonly nonce: string;
  /** `client-final-message-without-proof`, for the AuthMessage. */
  readonly withoutProof: string;
  readonly proof: Uint8Array;
}

/** Parses `client-final-message`: `c=`, `r=`, extensions, and `p=` last (RFC 5802 section 7). */
export function parseClientFinal(text: string): Parsed<ClientFinal> {
  const proofAt = text.lastIndexOf(",p=");
  if (proofAt === -1) return fail("the client-final message has no proof (p=)");
  const withoutProof = text.slice(0, proofAt);
  const attributes = parseAttributes(withoutProof);
  if (attributes === null) return fail("the client-final message has a malformed attribute");
  const [binding, nonce] = attributes;
  if (binding?.[0] !== "c" || nonce?.[0] !== "r") {
    return fail("the client-final message must start with c= and r=");
  }
  const channelBinding = decodeBase64(binding[1]);
  const proof = decodeBase64(text.slice(proofAt + 3));
  if (channelBinding === null) return fail("the channel binding (c=) is not base64");
  if (proof === null || proof.length !== 32)
    return fail("the proof (p=) is not 32 octets of base64");
  return { ok: true, value: { channelBinding, nonce: nonce[1], withoutProof, proof } };
}

export interface ServerFirst {
  readonly nonce: string;
  readonly salt: Uint8Array;
  readonly iterations: number;
}

/** Parses `server-first-message` (RFC 5802 section 7). */
export function parseServerFirst(text: string): Parsed<ServerFirst> {
  const attributes = parseAttributes(text);
  if (attributes === null) return fail("the server-first message has a malformed attribute");
  if (attributes[0]?.[0] === "m") return fail("mandatory extensions (m=) are not supported");
  const [nonce, salt, count] = attributes;
  if (nonce?.[0] !== "r" || salt?.[0] !== "s" || count?.[0] !== "i") {
    return fail("the server-first message must be r=, s=, i=");
  }
  if (!NONCE_PATTERN.test(nonce[1])) return fail("the server nonce is not printable");
  const saltBytes = decodeBase64(salt[1]);
  if (saltBytes === null || saltBytes.length === 0) return fail("the salt is not base64");
  if (!/^[1-9][0-9]{0,9}$/.test(count[1])) return fail("the iteration count is not a number");
  return { ok: true, value: { nonce: nonce[1], salt: saltBytes, iterations: Number(count[1]) } };
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}
