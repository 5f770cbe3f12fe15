/** A POP3 account of the fixtures; the secret is in clear (APOP and CRAM-MD5 need it). */
export interface Account {
  readonly name: string;
  readonly secret: string;
}

/** The mailbox holding the tricky corpus. */
export const ALICE: Account = { name: "alice", secret: "tanstaaf-interop" };

/** The mailbox holding the 200 small messages. */
export const BULK: Account = { name: "bulk", secret: "bulk-secret" };

/** A small mailbox for DELE / RSET / QUIT checks that must stay intact. */
export const KEEPER: Account = { name: "keeper", secret: "keeper-secret" };

/** A small mailbox whose deletions are committed. */
export const DELETER: Account = { name: "deleter", secret: "deleter-secret" };
