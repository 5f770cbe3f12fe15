import type { CliContext } from "../cli/cli-context.ts";
import type { CliOptions } from "../cli/parse-arguments.ts";
import { renderTable } from "../cli/render-table.ts";
import { fetchListing } from "./fetch-listing.ts";

/**
 * `apop list <url>`: every message's number, size in octets (as LIST reports it: CRLF line
 * ends, RFC 1939 section 11) and UIDL unique-id. With `--json`:
 * `{"account","uidl":bool,"messages":[{"number","size","uid"}]}`. Changes nothing.
 */
export async function listCommand(options: CliOptions, context: CliContext): Promise<void> {
  const { plan, listing } = await fetchListing(options, context);
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
