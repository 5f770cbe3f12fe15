/**
 * OAUTHBEARER (RFC 7628) and XOAUTH2 (Google's older form of the same idea): the client sends
 * a bearer token for a user; the host's `TokenValidator` decides. Both carry the token in the
 * clear, so they are offered only where plaintext logins are (inside TLS unless allowed).
 *
 * On failure the server sends the error as a JSON challenge (RFC 7628 section 3.2.2; XOAUTH2
 * does the same with an HTTP-style status) and waits for the client's dummy response (`%x01`
 * for OAUTHBEARER, empty for XOAUTH2) before its `-ERR`.
 */
import { decodeUtf8, encodeUtf8 } from "../../bytes/utf8.ts";
import type { TokenVerdict } from "../token-validator.ts";
import type {
  SaslClientMechanism,
  SaslClientStep,
  SaslServerMechanism,
  SaslServerStep,
} from "./sasl-mechanism.ts";

const KVSEP = "\x01";
/** Longest client message accepted: a JWT with many claims stays well under this. */
export const MAX_OAUTH_MESSAGE_OCTETS = 16 * 1024;

type Flavour = "OAUTHBEARER" | "XOAUTH2";

/** RFC 7628 section 3.1: `n,a=USER,` (saslname escapes `,` and `=`), then the first %x01. */
const GS2_HEADER = new RegExp(`^([ny]),a=((?:[^,=]|=2C|=3D)+),${KVSEP}`);
/** XOAUTH2: `user=USER` up to the first %x01. */
const XOAUTH2_USER = new RegExp(`^user=([^${KVSEP}]+)${KVSEP}`);

/** The user and token of a client message, or why it is refused. */
export function parseOAuthMessage(
  flavour: Flavour,
  message: string,
): { user: string; token: string } | { reason: string } {
  let user: string;
  let rest: string;
  if (flavour === "OAUTHBEARER") {
    // gs2-header: no channel binding ("n" or "y"; "p=" is for -PLUS, which we do not offer),
    // then "a=" the authorization identity, which names the user (RFC 7628 section 3.1).
    const match = GS2_HEADER.exec(message);
    if (match === null) return { reason: "the OAUTHBEARER message needs a gs2 header n,a=USER," };
    user = (match[2] as string).replaceAll("=2C", ",").replaceAll("=3D", "=");
    rest = message.slice(match[0].length);
  } else {
    const match = XOAUTH2_USER.exec(message);
    if (match === null) return { reason: "the XOAUTH2 message needs user=USER" };
    user = match[1] as string;
    rest = message.slice(match[0].length);
  }
  if (!rest.endsWith(KVSEP + KVSEP) && !(flavour === "OAUTHBEARER" && rest === KVSEP)) {
    return { reason: `the ${flavour} message does not end with two %x01` };
  }
  for (const pair of rest.split(KVSEP)) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    if (equals <= 0) return { reason: `malformed key-value pair in ${flavour}` };
    const key = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    // RFC 6750 section 2.1: the scheme is case-insensitive, the token b64token characters.
    if (key === "auth") {
      const bearer = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(value);
      if (bearer === null) return { reason: "the auth value is not Bearer <token>" };
      return { user, token: bearer[1] as string };
    }
  }
  return { reason: `no auth=Bearer in the ${flavour} message` };
}

/** RFC 7628 section 3.2.2's JSON error, or XOAUTH2's equivalent. */
export function oauthErrorChallenge(
  flavour: Flavour,
  verdict: Exclude<TokenVerdict, { ok: true }>,
): Uint8Array {
  const status =
    flavour === "OAUTHBEARER"
      ? verdict.status
      : verdict.status === "invalid_request"
        ? "400"
        : verdict.status === "insufficient_scope"
          ? "403"
          : "401";
  return encodeUtf8(
    JSON.stringify({
      status,
      ...(flavour === "XOAUTH2" ? { schemes: "Bearer" } : {}),
      ...(verdict.scope === undefined ? {} : { scope: verdict.scope }),
    }),
  );
}

function oauthServer(flavour: Flavour): SaslServerMechanism {
  return {
    name: flavour,
    sendsPlaintextPassword: true,
    needsTokenValidator: true,
    start() {
      let state: "initial" | "waiting" | "validating" | "failed" | "done" = "initial";
      let verdictReason = "";
      let user = "";
      const failure = (reason: string): SaslServerStep => {
        state = "done";
        return { type: "failure", reason };
      };
      return {
        step(response): SaslServerStep {
          if (state === "failed") {
            // The client's dummy answer to the error challenge ends the exchange; the login
            // then fails like a wrong password (RFC 7628 section 3.2.3).
            state = "done";
            return {
              type: "success",
              user,
              proof: { kind: "token", mechanism: flavour, refused: verdictReason },
            };
          }
          if (state !== "initial" && state !== "waiting") {
            return failure(`the ${flavour} exchange is already over`);
          }
          if (response === null) {
            if (state === "waiting") return failure(`no ${flavour} message in the response`);
            state = "waiting";
            return { type: "challenge", data: new Uint8Array(0) };
          }
          if (response.length > MAX_OAUTH_MESSAGE_OCTETS) {
            return failure(`the ${flavour} message is over ${MAX_OAUTH_MESSAGE_OCTETS} octets`);
          }
          const text = decodeUtf8(response);
          if (text === null) return failure(`the ${flavour} message is not UTF-8`);
          const parsed = parseOAuthMessage(flavour, text);
          if ("reason" in parsed) return failure(parsed.reason);
          user = parsed.user;
          state = "validating";
          return { type: "token-needed", user: parsed.user, token: parsed.token };
        },
        token(verdict): SaslServerStep {
          if (state !== "validating") return failure(`no ${flavour} token was being checked`);
          if (verdict.ok) {
            state = "done";
            return { type: "success", user, proof: { kind: "token", mechanism: flavour } };
          }
          state = "failed";
          verdictReason = `${verdict.status}: ${verdict.reason}`;
          return { type: "challenge", data: oauthErrorChallenge(flavour, verdict) };
        },
      };
    },
  };
}

/** OAUTHBEARER, the server side (RFC 7628 section 3). */
export const oauthBearerServer: SaslServerMechanism = oauthServer("OAUTHBEARER");
/** XOAUTH2, the server side. */
export const xoauth2Server: SaslServerMechanism = oauthServer("XOAUTH2");

function oauthClient(flavour: Flavour): SaslClientMechanism {
  return {
    name: flavour,
    sendsPlaintextPassword: true,
    /** `password` is the bearer token. */
    start({ user, password }) {
      if (user === "" || [...user].some((c) => c.charCodeAt(0) < 0x20)) {
        throw new RangeError(`the ${flavour} user must be non-empty without control characters`);
      }
      if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(password)) {
        throw new RangeError("the bearer token has characters a token cannot have (RFC 6750)");
      }
      const message =
        flavour === "OAUTHBEARER"
          ? `n,a=${user.replaceAll("=", "=3D").replaceAll(",", "=2C")},${KVSEP}auth=Bearer ${password}${KVSEP}${KVSEP}`
          : `user=${user}${KVSEP}auth=Bearer ${password}${KVSEP}${KVSEP}`;
      let sent = false;
      return {
        initialResponse: () => {
          sent = true;
          return encodeUtf8(message);
        },
        step(challenge): SaslClientStep {
          if (!sent && challenge.length === 0) {
            sent = true;
            return { type: "response", data: encodeUtf8(message) };
          }
          // An error challenge (JSON): answer with the dummy response; the -ERR follows.
          return {
            type: "response",
            data: flavour === "OAUTHBEARER" ? encodeUtf8(KVSEP) : new Uint8Array(0),
          };
        },
      };
    },
  };
}

/** OAUTHBEARER, the client side: `password` carries the bearer token. */
export const oauthBearerClient: SaslClientMechanism = oauthClient("OAUTHBEARER");
/** XOAUTH2, the client side: `password` carries the bearer token. */
export const xoauth2Client: SaslClientMechanism = oauthClient("XOAUTH2");
