/**
 * PLAIN (RFC 4616): one client message, `[authzid] NUL authcid NUL passwd`, in UTF-8.
 * The password crosses the wire as is, so PLAIN belongs inside TLS only (RFC 4616 section 5).
 *
 * Not done here: SASLprep/stringprep normalisation (RFC 4616 section 2 says SHOULD). Names and
 * passwords are compared as the exact code points received, like USER/PASS.
 */
import { decodeSaslField, encodeSaslField } from "./sasl-field.ts";
import type {
  SaslClientMechanism,
  SaslClientStep,
  SaslServerMechanism,
  SaslServerStep,
} from "./sasl-mechanism.ts";

const NUL = 0;

/**
 * The server side. With no initial response it sends an empty challenge and reads the message
 * from the one response (RFC 4616 section 2: client-first, so an empty challenge asks for it).
 *
 * Fails for: a message without exactly two NULs (fields with NUL inside, too few or too many
 * fields), an empty authcid or password, a field that is not UTF-8 or is over 255 octets, and
 * an authzid that differs from the authcid (RFC 4616 section 2 leaves it to the server to
 * decide who may act as whom; we allow each user to act only as itself: no proxy login).
 * An empty authzid, or one equal to the authcid, is accepted.
 */
export const plainServer: SaslServerMechanism = {
  name: "PLAIN",
  sendsPlaintextPassword: true,
  start() {
    let state: "initial" | "waiting" | "done" = "initial";
    return {
      step(response): SaslServerStep {
        if (state === "done") return failure("the PLAIN exchange is already over");
        if (response === null) {
          if (state === "waiting") {
            state = "done";
            return failure("no PLAIN message in the response");
          }
          state = "waiting";
          return { type: "challenge", data: new Uint8Array(0) };
        }
        state = "done";
        return parsePlainMessage(response);
      },
    };
  },
};

/**
 * The client side. The whole message is the initial response; if the session does not send it,
 * the server's empty challenge gets the same message. Any other challenge is cancelled.
 * Throws `RangeError` at `start` for an empty user or password, a NUL in any field, or a field
 * over 255 octets.
 */
export const plainClient: SaslClientMechanism = {
  name: "PLAIN",
  sendsPlaintextPassword: true,
  start({ user, password, authzid }) {
    const message = formatPlainMessage({ user, password, authzid: authzid ?? "" });
    let answered = false;
    return {
      initialResponse: () => message.slice(),
      step(challenge): SaslClientStep {
        if (answered) return cancel("PLAIN got a second challenge");
        if (challenge.length > 0) return cancel("PLAIN expects an empty challenge");
        answered = true;
        return { type: "response", data: message.slice() };
      },
    };
  },
};

function formatPlainMessage({
  user,
  password,
  authzid,
}: {
  user: string;
  password: string;
  authzid: string;
}): Uint8Array {
  const fields = [
    encodeSaslField({ text: authzid, what: "authorization identity", optional: true }),
    encodeSaslField({ text: user, what: "user name" }),
    encodeSaslField({ text: password, what: "password" }),
  ] as const;
  const message = new Uint8Array(fields[0].length + fields[1].length + fields[2].length + 2);
  message.set(fields[0], 0);
  message.set(fields[1], fields[0].length + 1);
  message.set(fields[2], fields[0].length + fields[1].length + 2);
  return message;
}

function parsePlainMessage(message: Uint8Array): SaslServerStep {
  const first = message.indexOf(NUL);
  const second = first === -1 ? -1 : message.indexOf(NUL, first + 1);
  if (second === -1) return failure("the PLAIN message needs two NUL separators");
  if (message.indexOf(NUL, second + 1) !== -1) {
    return failure("the PLAIN message has more than two NULs");
  }
  const authzid = decodeSaslField({
    bytes: message.subarray(0, first),
    what: "authorization identity",
    optional: true,
  });
  if (!authzid.ok) return failure(authzid.reason);
  const authcid = decodeSaslField({
    bytes: message.subarray(first + 1, second),
    what: "user name",
  });
  if (!authcid.ok) return failure(authcid.reason);
  const password = decodeSaslField({ bytes: message.subarray(second + 1), what: "password" });
  if (!password.ok) return failure(password.reason);
  const proof = { kind: "password", password: password.value } as const;
  if (authzid.value === "") return { type: "success", user: authcid.value, proof };
  if (authzid.value !== authcid.value) {
    return failure(
      "PLAIN authorization identity differs from the user; proxy login is not supported",
    );
  }
  return { type: "success", user: authcid.value, authzid: authzid.value, proof };
}

function failure(reason: string): SaslServerStep {
  return { type: "failure", reason };
}

function cancel(reason: string): SaslClientStep {
  return { type: "cancel", reason };
}
