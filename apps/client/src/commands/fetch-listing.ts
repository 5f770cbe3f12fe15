import { classifyError } from "../cli/classify-error.ts";
import type { CliContext } from "../cli/cli-context.ts";
import type { CliOptions } from "../cli/parse-arguments.ts";
import { abandonSession } from "../session/end-session.ts";
import { openSession } from "../session/open-session.ts";
import { prepareLogin } from "../session/prepare-login.ts";
import type { RememberedMethod } from "../state/state-file.ts";
import { StateFile } from "../state/state-file.ts";
import { checkTlsLatch, recordLogin } from "../state/tls-latch.ts";
import { readListing } from "./read-listing.ts";

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
  let method: RememberedMethod | undefined;
  const client = await openSession({
    connection: plan.connection,
    credentials: plan.credentials,
    allowPlaintext: options.allowPlaintext,
    remembered: state.loginMethod,
    onLogin: (used) => {
      method = used;
    },
  });
  try {
    const listing = await readListing(client);
    await client.quit();
    // RFC 8314 section 5.2: a login over TLS latches the account, whichever command made
    // it; the method that worked is remembered the same way.
    if (
      method !== undefined &&
      ((client.secure && !state.tlsUsed) || method !== state.loginMethod)
    ) {
      await recordLogin({
        statePath: plan.statePath,
        account: plan.account,
        secure: client.secure,
        method,
      });
    }
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
