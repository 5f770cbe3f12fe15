import type { SaslServerContext } from "../../src/index.ts";

/** A server mechanism's start context for unit tests: fixed bytes, no channel binding. */
export function saslContext(challenge: string): SaslServerContext {
  return {
    challenge,
    randomBytes: (length) => new Uint8Array(length).fill(7),
    secret: new Uint8Array(32).fill(1),
    channelBinding: null,
  };
}
