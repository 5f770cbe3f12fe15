/** A POP3 account of the fixtures; the secret is in clear (APOP and CRAM-MD5 need it). */
export interface Account {
  readonly name: string;
  readonly secret: string;
  /**
   * How the server stores the secret: `{PLAIN}` (the default; APOP and CRAM-MD5 need it), or
   * `{SCRAM-SHA-256}` keys made by `doveadm pw` (SCRAM, and PLAIN or USER over TLS).
   */
  readonly scheme?: "PLAIN" | "SCRAM-SHA-256";
}

/** The mailbox holding the tricky corpus. */
export const ALICE: Account = { name: "alice", secret: "tanstaaf-interop" };

/** A user with SCRAM-SHA-256 keys only (a non-ASCII password: SASLprep must agree). */
export const SCRAMMER: Account = {
  name: "scrammer",
  secret: "scräm-sëcret",
  scheme: "SCRAM-SHA-256",
};

/** The mailbox holding the 200 small messages. */
export const BULK: Account = { name: "bulk", secret: "bulk-secret" };

/** A small mailbox for DELE / RSET / QUIT checks that must stay intact. */
export const KEEPER: Account = { name: "keeper", secret: "keeper-secret" };

/** A small mailbox whose deletions are committed. */
export const DELETER: Account = { name: "deleter", secret: "deleter-secret" };
