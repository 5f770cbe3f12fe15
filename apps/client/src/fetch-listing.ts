import { classifyError } from "./classify-error.ts";
import type { CliContext } from "./cli-context.ts";
import { abandonSession } from "./end-session.ts";
import { openSession } from "./open-session.ts";
import type { CliOptions } from "./parse-arguments.ts";
import { prepareLogin } from "./prepare-login.ts";
import { readListing } from "./read-listing.ts";
import { StateFile } from "./state-file.ts";
import { checkTlsLatch } from "./tls-latch.ts";

/**
 * What `list` and `check` share: log in (honouring the TLS latch), read the LIST/UIDL
 * listing, QUIT without changing anything on the server. Returns the listing with the plan
 * and the account's state, which `check` compares against.
 */
export async function fetchListing(options: CliOptions, context: CliContext) {
  const plan = await prepareLogin(options, context);
  const state = await StateFile.load({ path: plan.statePath, account: plan.account });
  await checkTlsLatch({
    state,
    stateDirectory: plan.stateDirectory,
    account: plan.account,
    withTls: plan.connection.target.tls !== "none",
    allowDowngrade: options.allowInsecureDowngrade,
    warn: (message) => context.warn(message),
  });
  const client = await openSession({
    connection: plan.connection,
    credentials: plan.credentials,
    allowPlaintext: options.allowPlaintext,
  });
  try {
    const listing = await readListing(client);
    await client.quit();
    return { plan, state, listing };
  } catch (error) {
    await abandonSession(client);
    throw classifyError({
      error,
      phase: "session",
      server: `${plan.account.host}:${plan.account.port}`,
    });
  }
}
