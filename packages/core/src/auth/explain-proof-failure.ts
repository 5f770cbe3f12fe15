import type { Credential } from "./credential.ts";
import type { LoginProof } from "./sasl/sasl-mechanism.ts";

/**
 * Why `verifyProof` said no, in words for the server's log (never for the client, which gets
 * the same `-ERR [AUTH]` whatever the cause, RFC 1939 section 13): no such user, a stored
 * secret that cannot serve the method (a hash for APOP, CRAM-MD5 or SCRAM; SCRAM keys for
 * APOP or CRAM-MD5), or a wrong password.
 */
export function explainProofFailure({
  proof,
  credential,
}: {
  proof: LoginProof;
  credential: Credential | null;
}): string {
  if (proof.kind === "token") return `the token was refused (${proof.refused ?? "?"})`;
  if (credential === null) return "no such user";
  if (credential.kind === "clear" && credential.secret === "") return "the stored secret is empty";
  const needsClear = proof.kind === "apop" || proof.kind === "cram-md5";
  if (needsClear && credential.kind !== "clear") {
    return `the stored ${credential.kind} secret cannot serve ${proof.kind.toUpperCase()} (it needs a clear secret)`;
  }
  if (proof.kind === "scram-sha-256" && credential.kind === "hashed") {
    return "the stored hashed secret cannot serve SCRAM-SHA-256 (it needs {SCRAM-SHA-256} keys or a clear secret)";
  }
  return "wrong password";
}
