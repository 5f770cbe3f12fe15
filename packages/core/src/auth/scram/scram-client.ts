/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, client side (RFC 5802, RFC 7677). The initial
 * response is the client-first message; the first challenge is the server-first message,
 * answered with the proof; the second is the server's signature (`v=`), checked before the
 * empty answer, so a server that does not know the password cannot pretend it does. A client
 * whose server says `+OK` without `v=` has not verified the server: `serverVerified()` tells.
 *
 * The GS2 flag (RFC 5802 section 6): `p=<type>` for -PLUS; for plain SCRAM-SHA-256, `y` when
 * this connection could bind (the server then did not offer -PLUS, and refuses us if it
 * really supports it: a stripped mechanism list is caught), else `n`.
 */

import { concatBytes } from "../../bytes/ascii.ts";
import { decodeBase64, encodeBase64 } from "../../bytes/base64.ts";
import { encodeUtf8 } from "../../bytes/utf8.ts";
import type {
  SaslClientCredentials,
  SaslClientExchange,
  SaslClientMechanism,
  SaslClientStep,
  SaslClientVerifier,
} from "../sasl/sasl-mechanism.ts";
import { saslprep } from "../saslprep.ts";
import {
  bytesEqual,
  clientKeyOf,
  hmacSha256,
  SCRAM_MAX_ITERATIONS,
  SCRAM_MIN_ITERATIONS,
  saltPassword,
  scramKeysOf,
  xorBytes,
} from "./scram-keys.ts";
import { decodeScramMessage, escapeSaslName, parseServerFirst } from "./scram-message.ts";

const CLIENT_NONCE_OCTETS = 18;

/** SCRAM-SHA-256 without channel binding. */
export const scramSha256Client: SaslClientMechanism = {
  name: "SCRAM-SHA-256",
  sendsPlaintextPassword: false,
  signalsChannelBinding: true,
  start: (credentials) => startExchange({ credentials, plus: false }),
};

/** SCRAM-SHA-256-PLUS: needs `channelBinding` in the credentials. */
export const scramSha256PlusClient: SaslClientMechanism = {
  name: "SCRAM-SHA-256-PLUS",
  sendsPlaintextPassword: false,
  signalsChannelBinding: true,
  needsChannelBinding: true,
  start: (credentials) => startExchange({ credentials, plus: true }),
};

/**
 * Throws `RangeError` at start: without `randomBytes`, for -PLUS without `channelBinding`, or
 * for a user name or password that SASLprep refuses or leaves empty (`SaslprepError`).
 */
function startExchange({
  credentials,
  plus,
}: {
  credentials: SaslClientCredentials;
  plus: boolean;
}): SaslClientExchange & SaslClientVerifier {
  const { randomBytes, channelBinding = null } = credentials;
  if (randomBytes === undefined) throw new RangeError("SCRAM needs randomBytes for its nonce");
  if (plus && channelBinding === null) {
    throw new RangeError("SCRAM-SHA-256-PLUS needs channel binding data from the transport");
  }
  const user = saslprep({ text: credentials.user });
  const password = saslprep({ text: credentials.password });
  if (user === "") throw new RangeError("SCRAM: the user name is empty");
  if (password === "") throw new RangeError("SCRAM: the password is empty");
  const flag = plus ? `p=${channelBinding?.type}` : channelBinding !== null ? "y" : "n";
  const authzid =
    credentials.authzid === undefined || credentials.authzid === ""
      ? ""
      : `a=${escapeSaslName(saslprep({ text: credentials.authzid }))}`;
  const gs2Header = `${flag},${authzid},`;
  const clientNonce = encodeBase64(randomBytes(CLIENT_NONCE_OCTETS));
  const bare = `n=${escapeSaslName(user)},r=${clientNonce}`;
  const clientFirst = encodeUtf8(gs2Header + bare);
  let state: "first" | "final" | "verified" | "done" = "first";
  let expectedSignature: Uint8Array | null = null;
  const cancel = (reason: string): SaslClientStep => {
    state = "done";
    return { type: "cancel", reason };
  };

  return {
    initialResponse: () => clientFirst.slice(),
    serverVerified: () => state === "verified",
    step(challenge): SaslClientStep {
      switch (state) {
        case "first": {
          // The empty challenge of a server that wants the client-first message now.
          if (challenge.length === 0) return { type: "response", data: clientFirst.slice() };
          const text = decodeScramMessage(challenge);
          if (text === null) return cancel("the SCRAM server-first message is not UTF-8");
          const parsed = parseServerFirst(text);
          if (!parsed.ok) return cancel(parsed.reason);
          const { nonce, salt, iterations } = parsed.value;
          if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
            return cancel("the SCRAM server nonce does not extend ours");
          }
          if (iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) {
            return cancel(
              `the SCRAM iteration count ${iterations} is outside ${SCRAM_MIN_ITERATIONS}..${SCRAM_MAX_ITERATIONS}`,
            );
          }
          const bindingInput = concatBytes([
            encodeUtf8(gs2Header),
            plus && channelBinding !== null ? channelBinding.data : new Uint8Array(0),
          ]);
          const withoutProof = `c=${encodeBase64(bindingInput)},r=${nonce}`;
          const authMessage = encodeUtf8(`${bare},${text},${withoutProof}`);
          const salted = saltPassword({ password, salt, iterations });
          const keys = scramKeysOf(salted);
          const clientSignature = hmacSha256({ key: keys.storedKey, data: authMessage });
          const proof = xorBytes(clientKeyOf(salted), clientSignature);
          expectedSignature = hmacSha256({ key: keys.serverKey, data: authMessage });
          state = "final";
          return {
            type: "response",
            data: encodeUtf8(`${withoutProof},p=${encodeBase64(proof)}`),
          };
        }
        case "final": {
          const text = decodeScramMessage(challenge);
          if (text?.startsWith("e=")) return cancel(`the server refused SCRAM: ${text.slice(2)}`);
          const signature = text?.startsWith("v=")
            ? decodeBase64(text.slice(2).split(",")[0] ?? "")
            : null;
          if (signature === null || !bytesEqual(signature, expectedSignature as Uint8Array)) {
            return cancel(
              "the SCRAM server signature is wrong: the server does not know the password",
            );
          }
          state = "verified";
          return { type: "response", data: new Uint8Array(0) };
        }
        case "verified":
        case "done":
          return cancel("SCRAM got a challenge after the exchange ended");
      }
    },
  };
}
