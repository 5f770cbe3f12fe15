import { classifyError } from "./classify-error.ts";
import type { CliContext } from "./cli-context.ts";
import { abandonSession } from "./end-session.ts";
import { openSession } from "./open-session.ts";
import type { CliOptions } from "./parse-arguments.ts";
import { prepareLogin } from "./prepare-login.ts";
import { readListing } from "./read-listing.ts";
import { renderTable } from "./render-table.ts";
import { StateFile } from "./state-file.ts";
import { checkTlsLatch } from "./tls-latch.ts";

/**
 * `apop list <url>`: every message's number, size in octets (as LIST reports it: CRLF line
 * ends, RFC 1939 section 11) and UIDL unique-id. With `--json`:
 * `{"account","uidl":bool,"messages":[{"number","size","uid"}]}`. Changes nothing.
 */
export async function listCommand(options: CliOptions, context: CliContext): Promise<void> {
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
  let listing: Awaited<ReturnType<typeof readListing>>;
  try {
    listing = await readListing(client);
    await client.quit();
  } catch (error) {
    await abandonSession(client);
    throw classifyError({
      error,
      phase: "session",
      server: `${plan.account.host}:${plan.account.port}`,
    });
  }
  if (options.json) {
    context.stdout.write(
      `${JSON.stringify({ account: plan.account.key, uidl: listing.uidl, messages: listing.messages })}\n`,
    );
    return;
  }
  if (listing.messages.length === 0) {
    context.stdout.write(`no messages for ${plan.account.key}\n`);
    return;
  }
  context.stdout.write(
    `${renderTable({
      header: ["#", "SIZE", "UIDL"],
      rows: listing.messages.map((m) => [String(m.number), String(m.size), m.uid ?? "-"]),
      alignRight: [0, 1],
    })}\n`,
  );
}
