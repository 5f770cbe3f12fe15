/**
 * CRAM-MD5 (RFC 2195): the server sends a fresh msg-id-style challenge; the client answers
 * `user SP hex(HMAC-MD5(secret, challenge))` in lower case (section 2). The password never
 * crosses the wire, but the server must hold it in clear (or equivalent): a `hashed` credential
 * cannot check it, and `verifyProof` then fails it like a wrong digest.
 */
import { toHex } from "../../bytes/hex.ts";
import { decodeUtf8, encodeUtf8 } from "../../bytes/utf8.ts";
import { hmacMd5 } from "../hmac-md5.ts";
import { decodeSaslField, encodeSaslField } from "./sasl-field.ts";
import type {
  SaslClientMechanism,
  SaslClientStep,
  SaslServerMechanism,
  SaslServerStep,
} from "./sasl-mechanism.ts";

const SPACE = 0x20;
const DIGEST_LENGTH = 32;

/**
 * The server side. The challenge is `context.challenge`, which the session makes fresh for
 * every exchange, exactly like an APOP timestamp (`createApopTimestamp`).
 *
 * CRAM-MD5 is server-first, so a client has nothing to say before the challenge: an empty
 * initial response (`=`) is read as none, any other initial response fails. The response is
 * split at its last space, so a user name may itself contain spaces; the digest must be 32 hex
 * digits (either case accepted; the proof carries it in lower case). The user name follows the
 * same rules as in PLAIN (UTF-8, no NUL, 1 to 255 octets).
 *
 * Throws `RangeError` at `start` if the challenge is empty (the session's mistake).
 */
export const cramMd5Server: SaslServerMechanism = {
  name: "CRAM-MD5",
  sendsPlaintextPassword: false,
  needsClearSecret: true,
  start({ challenge }) {
    if (challenge.length === 0) throw new RangeError("CRAM-MD5 needs a non-empty challenge");
    let state: "initial" | "waiting" | "done" = "initial";
    return {
      step(response): SaslServerStep {
        if (state === "done") return failure("the CRAM-MD5 exchange is already over");
        if (state === "initial") {
          if (response !== null && response.length > 0) {
            state = "done";
            return failure("CRAM-MD5 is server-first; an initial response is not allowed");
          }
          state = "waiting";
          return { type: "challenge", data: encodeUtf8(challenge) };
        }
        state = "done";
        if (response === null) return failure("no CRAM-MD5 answer in the response");
        return parseCramMd5Response({ response, challenge });
      },
    };
  },
};

/**
 * The client side. No initial response; the one challenge is answered with the user name, a
 * space and the digest, computed over the challenge bytes exactly as received. An empty
 * challenge, or a second one, is cancelled. Throws `RangeError` at `start` for an empty user
 * name, a NUL, or a user name over 255 octets.
 */
export const cramMd5Client: SaslClientMechanism = {
  name: "CRAM-MD5",
  sendsPlaintextPassword: false,
  start({ user, password }) {
    const userBytes = encodeSaslField({ text: user, what: "user name" });
    const key = encodeUtf8(password);
    let answered = false;
    return {
      initialResponse: () => null,
      step(challenge): SaslClientStep {
        if (answered) return { type: "cancel", reason: "CRAM-MD5 got a second challenge" };
        if (challenge.length === 0)
          return { type: "cancel", reason: "CRAM-MD5 got an empty challenge" };
        answered = true;
        const digest = encodeUtf8(toHex(hmacMd5({ key, message: challenge })));
        const data = new Uint8Array(userBytes.length + 1 + DIGEST_LENGTH);
        data.set(userBytes, 0);
        data[userBytes.length] = SPACE;
        data.set(digest, userBytes.length + 1);
        return { type: "response", data };
      },
    };
  },
};

function parseCramMd5Response({
  response,
  challenge,
}: {
  response: Uint8Array;
  challenge: string;
}): SaslServerStep {
  const space = response.lastIndexOf(SPACE);
  if (space === -1) return failure("the CRAM-MD5 answer has no space between user and digest");
  const user = decodeSaslField({ bytes: response.subarray(0, space), what: "user name" });
  if (!user.ok) return failure(user.reason);
  // The digest part is checked as ASCII hex; decodeUtf8 of hex digits is the identity.
  const digest = decodeUtf8(response.subarray(space + 1));
  if (digest === null || !isHexDigest(digest)) {
    return failure("the CRAM-MD5 digest is not 32 hex digits");
  }
  return {
    type: "success",
    user: user.value,
    proof: { kind: "cram-md5", challenge, digest: digest.toLowerCase() },
  };
}

function isHexDigest(text: string): boolean {
  return text.length === DIGEST_LENGTH && /^[0-9a-fA-F]+$/.test(text);
}

function failure(reason: string): SaslServerStep {
  return { type: "failure", reason };
}
