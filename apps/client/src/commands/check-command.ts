import type { CliContext } from "../cli/cli-context.ts";
import { formatBytes } from "../cli/format-bytes.ts";
import type { CliOptions } from "../cli/parse-arguments.ts";
import { plural } from "../cli/plural.ts";
import { fetchListing } from "./fetch-listing.ts";
import { trackedUid } from "./read-listing.ts";

/**
 * `apop check <url>`: how many messages, and how many octets, a `fetch` would download now:
 * those whose UID is not in the state file. Without UIDL the server's mail cannot be told
 * apart, so only the totals are known (`new` is null in JSON). With `--json`:
 * `{"account","uidl":bool,"new":{"count","size"}|null,"total":{"count","size"}}`. Changes
 * nothing, not even the state file.
 */
export async function checkCommand(options: CliOptions, context: CliContext): Promise<void> {
  const { plan, state, listing } = await fetchListing(options, context);
  const sum = (messages: readonly { size: number }[]): { count: number; size: number } => ({
    count: messages.length,
    size: messages.reduce((total, m) => total + m.size, 0),
  });
  const total = sum(listing.messages);
  // A message without a UID of its own (missing or shared) is one a fetch cannot recognise.
  const fresh = listing.uidl
    ? sum(
        listing.messages.filter((m) => {
          const uid = trackedUid(listing, m);
          return uid === null || !state.has(uid);
        }),
      )
    : null;
  if (options.json) {
    context.stdout.write(
      `${JSON.stringify({ account: plan.account.key, uidl: listing.uidl, new: fresh, total })}\n`,
    );
    return;
  }
  const onServer = `${plural(total.count, "message")} (${formatBytes(total.size)}) on the server`;
  if (fresh === null) {
    context.stdout.write(
      `${plan.account.key}: ${onServer}; the server has no UIDL, so new mail cannot be told apart\n`,
    );
    return;
  }
  context.stdout.write(
    `${plan.account.key}: ${fresh.count === 0 ? "no new mail" : `${plural(fresh.count, "new message")} (${formatBytes(fresh.size)})`}; ${onServer}\n`,
  );
}
