/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, server side (RFC 5802, RFC 7677; over POP3 AUTH,
 * RFC 5034). Client-first; the exchange, as this server runs it:
 *
 *     C: AUTH SCRAM-SHA-256 <client-first>       n,,n=user,r=<c-nonce>
 *        (the session asks the host for the user's credential)
 *     S: + <server-first>                        r=<c-nonce><s-nonce>,s=<salt>,i=<count>
 *     C: <client-final>                          c=biws,r=<nonce>,p=<ClientProof>
 *     S: + <server-final>                        v=<ServerSignature>  (only if the proof holds)
 *     C: (empty)
 *     S: +OK ... / -ERR [AUTH] ...
 *
 * A wrong proof is not answered here: the exchange ends in `success` with the proof, which
 * `verifyProof` then fails, so a wrong SCRAM password takes the same path, delay and log line
 * as any other wrong password. Unknown users and users whose stored secret cannot serve SCRAM
 * (a `hashed` one) get a salt derived from the server's secret and the user name, so the
 * server-first message looks the same on every try and for every name. A clear secret gets
 * the same kind of derived salt, with keys computed at login.
 *
 * Channel binding (RFC 5802 section 6): `-PLUS` checks the `c=` attribute against the
 * transport's binding data. A client that says `y` (it could bind but thinks we cannot) is
 * refused where we offer `-PLUS`: that is a downgrade.
 */

import { concatBytes } from "../../bytes/ascii.ts";
import { encodeBase64 } from "../../bytes/base64.ts";
import { encodeUtf8 } from "../../bytes/utf8.ts";
import type { Credential } from "../credential.ts";
import type { ChannelBinding } from "../sasl/channel-binding.ts";
import type {
  SaslServerContext,
  SaslServerExchange,
  SaslServerMechanism,
  SaslServerStep,
} from "../sasl/sasl-mechanism.ts";
import { SaslprepError, saslprep } from "../saslprep.ts";
import {
  bytesEqual,
  hmacSha256,
  SCRAM_MIN_ITERATIONS,
  type ScramKeys,
  saltPassword,
  scramKeysOf,
  sha256Digest,
  xorBytes,
} from "./scram-keys.ts";
import {
  type ClientFirst,
  decodeScramMessage,
  parseClientFinal,
  parseClientFirst,
} from "./scram-message.ts";

/** Octets of randomness in the server's part of the nonce (base64: 24 characters). */
const SERVER_NONCE_OCTETS = 18;
const SALT_OCTETS = 16;

/** SCRAM-SHA-256 without channel binding (gs2 flags `n` and `y`). */
export const scramSha256Server: SaslServerMechanism = {
  name: "SCRAM-SHA-256",
  sendsPlaintextPassword: false,
  start: (context) => startExchange({ context, plus: false }),
};

/** SCRAM-SHA-256-PLUS: the client must bind to this connection's channel (`p=`). */
export const scramSha256PlusServer: SaslServerMechanism = {
  name: "SCRAM-SHA-256-PLUS",
  sendsPlaintextPassword: false,
  needsChannelBinding: true,
  start: (context) => startExchange({ context, plus: true }),
};

/**
 * The salt and iteration count SCRAM announces for `user` when the stored credential has
 * none of its own (a clear secret, a hash SCRAM cannot use, or no such user): derived from
 * the server's secret, so they stay the same for the same name.
 */
export function derivedScramSalt({
  secret,
  user,
}: {
  secret: Uint8Array;
  user: string;
}): Uint8Array {
  return hmacSha256({ key: secret, data: encodeUtf8(`SCRAM-SHA-256 salt\u0000${user}`) }).slice(
    0,
    SALT_OCTETS,
  );
}

/**
 * The keys a credential gives for a salt and iteration count, or null when it cannot serve
 * SCRAM: a `scram-sha-256` credential has them; a `clear` one derives them (its secret
 * SASLprep'd as RFC 5802 section 2.2's `Normalize` says); `hashed` and `null` have none.
 */
export function scramKeysFor({
  credential,
  salt,
  iterations,
}: {
  credential: Credential | null;
  salt: Uint8Array;
  iterations: number;
}): ScramKeys | null {
  if (credential === null) return null;
  if (credential.kind === "scram-sha-256") return credential;
  if (credential.kind !== "clear" || credential.secret === "") return null;
  let password: string;
  try {
    password = saslprep({ text: credential.secret });
  } catch (error) {
    if (error instanceof SaslprepError) return null;
    throw error;
  }
  return scramKeysOf(saltPassword({ password, salt, iterations }));
}

/** RFC 5802 section 3: does ClientProof come from the ClientKey whose hash is StoredKey? */
export function scramProofHolds({
  storedKey,
  authMessage,
  clientProof,
}: {
  storedKey: Uint8Array;
  authMessage: Uint8Array;
  clientProof: Uint8Array;
}): boolean {
  const clientSignature = hmacSha256({ key: storedKey, data: authMessage });
  const clientKey = xorBytes(clientProof, clientSignature);
  return bytesEqual(sha256Digest(clientKey), storedKey);
}

function startExchange({
  context,
  plus,
}: {
  context: SaslServerContext;
  plus: boolean;
}): SaslServerExchange {
  let state: "initial" | "waiting-first" | "lookup" | "final" | "verified" | "done" = "initial";
  let first: ClientFirst | null = null;
  let serverFirst = "";
  let nonce = "";
  let salt: Uint8Array = new Uint8Array(0);
  let iterations = SCRAM_MIN_ITERATIONS;
  let keys: ScramKeys | null = null;
  let proof: Extract<SaslServerStep, { type: "success" }>["proof"] | null = null;

  const fail = (reason: string): SaslServerStep => {
    state = "done";
    return { type: "failure", reason };
  };

  const readFirst = (response: Uint8Array): SaslServerStep => {
    const text = decodeScramMessage(response);
    if (text === null) return fail("the SCRAM client-first message is not UTF-8");
    const parsed = parseClientFirst(text);
    if (!parsed.ok) return fail(parsed.reason);
    const message = parsed.value;
    const binding = checkFlag({ flag: message.flag, plus, channelBinding: context.channelBinding });
    if (binding !== null) return fail(binding);
    let user: string;
    try {
      user = saslprep({ text: message.user });
    } catch (error) {
      if (error instanceof SaslprepError) return fail(error.message);
      throw error;
    }
    if (user === "") return fail("the SCRAM user name is empty");
    if (message.authzid !== null && message.authzid !== user) {
      return fail(
        "SCRAM authorization identity differs from the user; proxy login is not supported",
      );
    }
    first = { ...message, user };
    state = "lookup";
    return { type: "credential-needed", user };
  };

  const readFinal = (response: Uint8Array | null): SaslServerStep => {
    const clientFirst = first as ClientFirst;
    if (response === null) return fail("no SCRAM client-final message");
    const text = decodeScramMessage(response);
    if (text === null) return fail("the SCRAM client-final message is not UTF-8");
    const parsed = parseClientFinal(text);
    if (!parsed.ok) return fail(parsed.reason);
    const final = parsed.value;
    if (final.nonce !== nonce) return fail("the SCRAM nonce does not match");
    const expected = concatBytes([
      encodeUtf8(clientFirst.gs2Header),
      clientFirst.flag.kind === "p"
        ? (context.channelBinding as ChannelBinding).data
        : new Uint8Array(0),
    ]);
    if (!bytesEqual(final.channelBinding, expected)) {
      return fail("the SCRAM channel binding (c=) does not match this connection");
    }
    const authMessage = encodeUtf8(`${clientFirst.bare},${serverFirst},${final.withoutProof}`);
    proof = { kind: "scram-sha-256", authMessage, clientProof: final.proof, salt, iterations };
    if (
      keys === null ||
      !scramProofHolds({ storedKey: keys.storedKey, authMessage, clientProof: final.proof })
    ) {
      // No server signature for a wrong proof: verifyProof fails it like any wrong password.
      state = "done";
      return { type: "success", user: clientFirst.user, ...authzidOf(clientFirst), proof };
    }
    state = "verified";
    const signature = hmacSha256({ key: keys.serverKey, data: authMessage });
    return { type: "challenge", data: encodeUtf8(`v=${encodeBase64(signature)}`) };
  };

  return {
    step(response): SaslServerStep {
      switch (state) {
        case "initial":
          // Client-first: with no initial response, an empty challenge asks for it.
          if (response === null) {
            state = "waiting-first";
            return { type: "challenge", data: new Uint8Array(0) };
          }
          return readFirst(response);
        case "waiting-first":
          if (response === null) return fail("no SCRAM client-first message");
          return readFirst(response);
        case "final":
          return readFinal(response);
        case "verified": {
          // RFC 5034 section 4: the client answers the server-final challenge with nothing.
          state = "done";
          if (response !== null && response.length > 0) {
            return fail("the SCRAM client answered the server signature with data");
          }
          const clientFirst = first as ClientFirst;
          return {
            type: "success",
            user: clientFirst.user,
            ...authzidOf(clientFirst),
            proof: proof as NonNullable<typeof proof>,
          };
        }
        case "lookup":
          return fail("a SCRAM response arrived before the server's challenge");
        case "done":
          return fail("the SCRAM exchange is already over");
      }
    },
    credential(credential): SaslServerStep {
      if (state !== "lookup") return fail("no SCRAM credential was asked for");
      const clientFirst = first as ClientFirst;
      if (credential?.kind === "scram-sha-256") {
        salt = credential.salt;
        iterations = credential.iterations;
      } else {
        salt = derivedScramSalt({ secret: context.secret, user: clientFirst.user });
        iterations = SCRAM_MIN_ITERATIONS;
      }
      keys = scramKeysFor({ credential, salt, iterations });
      nonce = clientFirst.nonce + encodeBase64(context.randomBytes(SERVER_NONCE_OCTETS));
      serverFirst = `r=${nonce},s=${encodeBase64(salt)},i=${iterations}`;
      state = "final";
      return { type: "challenge", data: encodeUtf8(serverFirst) };
    },
  };
}

function authzidOf(first: ClientFirst): { authzid?: string } {
  return first.authzid === null ? {} : { authzid: first.authzid };
}

/**
 * The GS2 flag against what this connection offers (RFC 5802 section 6). Null when fine,
 * else the reason; `server-does-support-channel-binding` is the RFC's own error value.
 */
function checkFlag({
  flag,
  plus,
  channelBinding,
}: {
  flag: ClientFirst["flag"];
  plus: boolean;
  channelBinding: ChannelBinding | null;
}): string | null {
  switch (flag.kind) {
    case "n":
      return plus ? "SCRAM-SHA-256-PLUS needs channel binding, but the client sent n" : null;
    case "y":
      if (plus) return "SCRAM-SHA-256-PLUS needs channel binding, but the client sent y";
      // The client could bind and believes we cannot; we can, so someone removed -PLUS
      // from our mechanism list on the way (section 6: the server MUST fail).
      return channelBinding !== null ? "e=server-does-support-channel-binding" : null;
    case "p":
      if (!plus) return "channel binding (p=) needs SCRAM-SHA-256-PLUS";
      if (channelBinding === null) return "e=channel-binding-not-supported";
      if (flag.name !== channelBinding.type) return "e=unsupported-channel-binding-type";
      return null;
  }
}
