import type { Pop3Client } from "@apop/core";

/**
 * Ends a session that failed or was interrupted without committing a single DELE: RSET
 * unmarks every deletion (RFC 1939 section 5), and only once it is answered `+OK` does QUIT
 * follow, so the server's UPDATE state has nothing to remove. If RSET does not get `+OK` the
 * connection is simply dropped, which never enters UPDATE either (RFC 1939 section 6). This
 * is getmail6's rule too. Never throws.
 */
export async function abandonSession(client: Pop3Client): Promise<void> {
  try {
    await client.rset();
  } catch {
    await client.close().catch(() => {});
    return;
  }
  await client.quit().catch(() => {});
}
