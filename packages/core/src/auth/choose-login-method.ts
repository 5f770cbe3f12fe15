/**
 * Which login method a client uses when the caller says `auto`: one pure decision over what
 * the server offers, driven by one preference table. A new mechanism (SCRAM, OAuth) joins by
 * adding a row; the rule below does not change.
 */
import { type Capabilities, saslMechanisms } from "../grammar/capabilities.ts";

/** The login methods `Pop3Client.login` knows; `auto` lets `chooseLoginMethod` pick. */
export type LoginMethod =
  | "auto"
  | "apop"
  | "user"
  | "plain"
  | "login"
  | "cram-md5"
  | "scram-sha-256"
  | "scram-sha-256-plus"
  // A bearer token in `password`: only when asked for, never chosen by `auto`.
  | "oauthbearer"
  | "xoauth2";

/** What the client knows about the server when it chooses. */
export interface LoginOffer {
  /** The last CAPA, or null when the server has none (an RFC 1939 server without CAPA). */
  readonly capabilities: Capabilities | null;
  /** The greeting carried a strict APOP timestamp (RFC 1939 section 7; `extractApopTimestamp`). */
  readonly apopTimestamp: boolean;
}

/** What the client itself can do on this connection. */
export interface LoginAbilities {
  /** It has a strong random source, which SCRAM's client nonce needs (RFC 5802 section 5.1). */
  readonly scram: boolean;
  /** Its transport exposes TLS channel binding data (RFC 5929, RFC 9266), which -PLUS needs. */
  readonly channelBinding: boolean;
}

/** One row of the preference table. */
export interface LoginPreference {
  readonly method: Exclude<LoginMethod, "auto">;
  /**
   * The method puts the password itself on the wire (in base64 at best): only inside TLS, or
   * in clear when the caller allowed it and nothing else is on offer (RFC 2595 section 2.3).
   */
  readonly sendsPassword: boolean;
  /** Whether the server offers it. */
  readonly offered: (offer: LoginOffer) => boolean;
  /** What the client needs to use it, when more than a password. */
  readonly needs?: keyof LoginAbilities;
}

const sasl =
  (name: string) =>
  (offer: LoginOffer): boolean =>
    offer.capabilities !== null && saslMechanisms(offer.capabilities).includes(name);

/**
 * The methods in order of preference, best first. Inside TLS the first offered row wins: SCRAM
 * first (the password never leaves, the server proves it knows the key, and -PLUS binds the
 * login to this TLS connection), then PLAIN and USER/PASS, which work with any kind of stored
 * password, which CRAM-MD5 and APOP do not. In clear the rows that keep the password off the
 * wire are tried first, in this same order.
 */
export const LOGIN_PREFERENCES: readonly LoginPreference[] = [
  // RFC 5802 and RFC 7677, bound to the TLS connection (RFC 5929, RFC 9266).
  {
    method: "scram-sha-256-plus",
    sendsPassword: false,
    offered: sasl("SCRAM-SHA-256-PLUS"),
    needs: "channelBinding",
  },
  // RFC 5802 and RFC 7677: a salted proof; the password stays home.
  { method: "scram-sha-256", sendsPassword: false, offered: sasl("SCRAM-SHA-256"), needs: "scram" },
  // RFC 4616: the password, once, inside TLS.
  { method: "plain", sendsPassword: true, offered: sasl("PLAIN") },
  // RFC 1939 section 7 and RFC 2449 section 6.8: USER/PASS, when CAPA lists USER.
  {
    method: "user",
    sendsPassword: true,
    offered: (offer) => offer.capabilities?.has("USER") === true,
  },
  // RFC 2195: a keyed MD5 digest of the server's challenge; the password stays home.
  { method: "cram-md5", sendsPassword: false, offered: sasl("CRAM-MD5") },
  // RFC 1939 section 7: an MD5 digest of the greeting's timestamp; the password stays home.
  { method: "apop", sendsPassword: false, offered: (offer) => offer.apopTimestamp },
  // draft-murchison-sasl-login: the password in base64, in two steps.
  { method: "login", sendsPassword: true, offered: sasl("LOGIN") },
  // RFC 1939 section 7: USER/PASS is the one method every server has, CAPA or not.
  { method: "user", sendsPassword: true, offered: () => true },
];

export interface ChooseLoginMethodOptions {
  readonly offer: LoginOffer;
  /** The connection runs inside TLS (implicit, or after STLS). */
  readonly secure: boolean;
  /**
   * The caller allows a password in clear on a connection without TLS. It only permits: a
   * method that keeps the password off the wire is still chosen first when one is offered.
   */
  readonly allowPlaintext: boolean;
  /** What the client can do; default neither SCRAM nor channel binding. */
  readonly client?: LoginAbilities;
  /**
   * The method that last worked for this account (remembered like the TLS latch): chosen
   * first while the server still offers it (in clear, only one that keeps the password home).
   */
  readonly remembered?: Exclude<LoginMethod, "auto">;
  /**
   * The method just refused with `[AUTH]`. After a challenge-response method (SCRAM,
   * CRAM-MD5, APOP) the answer is the one fallback, PLAIN (else USER/PASS), where a password
   * may be sent: servers offer mechanisms to everyone but store each user's secret in one
   * form, which may serve none of them. After any other method: null, no second try.
   */
  readonly failed?: Exclude<LoginMethod, "auto">;
}

const NO_ABILITIES: LoginAbilities = { scram: false, channelBinding: false };

/**
 * Picks the login method for `auto`, or null when no method is safe on this connection (in
 * clear, neither SCRAM, CRAM-MD5 nor APOP on offer, and plaintext not allowed).
 *
 * - Inside TLS: the first row of `LOGIN_PREFERENCES` the server offers, and the client can
 *   use: SCRAM-SHA-256-PLUS, SCRAM-SHA-256, PLAIN, USER/PASS, CRAM-MD5, APOP.
 * - In clear: the first offered row that keeps the password off the wire (SCRAM-SHA-256,
 *   CRAM-MD5, APOP); only when there is none, and `allowPlaintext` is set, the first offered
 *   row that sends it.
 * - `remembered` goes first when it is offered and, in clear, keeps the password home;
 *   `failed` asks for the fallback after an `[AUTH]` instead (see its doc).
 */
export function chooseLoginMethod(
  options: ChooseLoginMethodOptions,
): Exclude<LoginMethod, "auto"> | null {
  const { offer, secure, allowPlaintext } = options;
  const client = options.client ?? NO_ABILITIES;
  const offered = LOGIN_PREFERENCES.filter(
    (row) =>
      row.offered(offer) &&
      (row.needs === undefined || client[row.needs]) &&
      // -PLUS also needs the random source of SCRAM itself.
      (row.needs !== "channelBinding" || client.scram),
  );
  const passwordAllowed = secure || allowPlaintext;
  if (options.failed !== undefined) {
    const failedRow = LOGIN_PREFERENCES.find((row) => row.method === options.failed);
    if (failedRow === undefined || failedRow.sendsPassword || !passwordAllowed) return null;
    const fallback = offered.find((row) => row.method === "plain" || row.method === "user");
    return fallback?.method ?? null;
  }
  const remembered = offered.find((row) => row.method === options.remembered);
  // In clear a remembered password-sending method never beats one that keeps it home.
  if (remembered !== undefined && (!remembered.sendsPassword || secure)) {
    return remembered.method;
  }
  if (secure) return offered[0]?.method ?? null;
  const safe = offered.find((row) => !row.sendsPassword);
  if (safe !== undefined) return safe.method;
  if (!allowPlaintext) return null;
  return offered[0]?.method ?? null;
}
