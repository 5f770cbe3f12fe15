/**
 * LOGIN (draft-murchison-sasl-login, never an RFC): the server prompts `Username:` and then
 * `Password:`, the client answers each. Implemented for interoperability (Outlook, Exchange);
 * the password crosses the wire as is, so it belongs inside TLS only.
 */
import { encodeUtf8 } from "../../bytes/utf8.ts";
import { decodeSaslField, encodeSaslField } from "./sasl-field.ts";
import type {
  SaslClientMechanism,
  SaslClientStep,
  SaslServerMechanism,
  SaslServerStep,
} from "./sasl-mechanism.ts";

const USERNAME_PROMPT = encodeUtf8("Username:");
const PASSWORD_PROMPT = encodeUtf8("Password:");

/**
 * The server side. An initial response is taken as the user name, as Dovecot and Exchange do,
 * so the exchange goes straight to `Password:`; an empty one (`=`) is an empty user name and
 * fails. Each answer must be UTF-8 without NUL, 1 to 255 octets.
 */
export const loginServer: SaslServerMechanism = {
  name: "LOGIN",
  sendsPlaintextPassword: true,
  start() {
    let state: "initial" | "user" | "password" | "done" = "initial";
    let user = "";
    return {
      step(response): SaslServerStep {
        switch (state) {
          case "initial":
            if (response === null) {
              state = "user";
              return { type: "challenge", data: USERNAME_PROMPT.slice() };
            }
            return takeUser(response);
          case "user":
            if (response === null) return fail("no user name in the response");
            return takeUser(response);
          case "password": {
            if (response === null) return fail("no password in the response");
            state = "done";
            const password = decodeSaslField({ bytes: response, what: "password" });
            if (!password.ok) return failure(password.reason);
            return { type: "success", user, proof: { kind: "password", password: password.value } };
          }
          case "done":
            return failure("the LOGIN exchange is already over");
          default: {
            const unreachable: never = state;
            return unreachable;
          }
        }
      },
    };

    function takeUser(response: Uint8Array): SaslServerStep {
      const field = decodeSaslField({ bytes: response, what: "user name" });
      if (!field.ok) return fail(field.reason);
      user = field.value;
      state = "password";
      return { type: "challenge", data: PASSWORD_PROMPT.slice() };
    }

    function fail(reason: string): SaslServerStep {
      state = "done";
      return failure(reason);
    }
  },
};

/**
 * The client side. Sends no initial response, then answers the first challenge with the user
 * name and the second with the password, whatever the prompts say: servers word them
 * differently, and order is what the mechanism defines (Microsoft's MS-XLOGIN section 3.1.5.1
 * allows the same). A third challenge is cancelled. Throws `RangeError` at `start` for an empty
 * user name or password, a NUL, or over 255 octets.
 */
export const loginClient: SaslClientMechanism = {
  name: "LOGIN",
  sendsPlaintextPassword: true,
  start({ user, password }) {
    const answers = [
      encodeSaslField({ text: user, what: "user name" }),
      encodeSaslField({ text: password, what: "password" }),
    ];
    let next = 0;
    return {
      initialResponse: () => null,
      step(): SaslClientStep {
        const answer = answers[next];
        if (answer === undefined) return { type: "cancel", reason: "LOGIN got a third challenge" };
        next++;
        return { type: "response", data: answer.slice() };
      },
    };
  },
};

function failure(reason: string): SaslServerStep {
  return { type: "failure", reason };
}
