import { classifyError } from "../cli/classify-error.ts";
import type { CliContext } from "../cli/cli-context.ts";
import type { CliOptions } from "../cli/parse-arguments.ts";
import { renderTable } from "../cli/render-table.ts";
import { languagePreferences } from "../session/language-preferences.ts";
import { openSession } from "../session/open-session.ts";
import { resolveTarget } from "../session/resolve-target.ts";
import { capabilityMeaning } from "./capability-meaning.ts";

/**
 * `apop capa <url>`: what the server supports before login, as CAPA says (RFC 2449 section
 * 5), after TLS is set up as for a fetch (capabilities learnt in clear are dropped after STLS,
 * RFC 2595 section 4), plus whether the greeting offers APOP. Needs no password. With
 * `--json`: `{"server","tls","secure","apop","capabilities":[{"name","arguments","meaning"}]|null}`
 * (null when the server refuses CAPA).
 */
export async function capaCommand(options: CliOptions, context: CliContext): Promise<void> {
  const target = resolveTarget(options);
  const server = `${target.host}:${target.port}`;
  const client = await openSession({
    connection: {
      target,
      caFile: options.ca,
      insecure: options.insecure,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      languages: languagePreferences({ lang: options.lang, env: context.env }),
      warn: (message) => context.warn(message),
    },
  });
  let capabilities: Awaited<ReturnType<typeof client.capa>>;
  try {
    capabilities = await client.capa();
    await client.quit();
  } catch (error) {
    await client.close().catch(() => {});
    throw classifyError({ error, phase: "session", server });
  }
  const apop = client.greeting.timestamp !== null;
  const rows =
    capabilities === null
      ? null
      : [...capabilities].map(([name, args]) => ({
          name,
          arguments: [...args],
          meaning: capabilityMeaning(name),
        }));
  if (options.json) {
    context.stdout.write(
      `${JSON.stringify({ server, tls: target.tls, secure: client.secure, apop, capabilities: rows })}\n`,
    );
    return;
  }
  const lines = [
    `server: ${server}, ${client.secure ? `TLS (${target.tls === "implicit" ? "implicit" : "STLS"})` : "no TLS"}`,
    `APOP:   ${apop ? "offered (the greeting has a timestamp)" : "not offered"}`,
    "",
    rows === null
      ? "the server does not support CAPA (RFC 2449), so it does not say what it supports"
      : renderTable({
          header: ["CAPABILITY", "ARGUMENTS", "MEANING"],
          rows: rows.map((row) => [row.name, row.arguments.join(" "), row.meaning]),
        }),
  ];
  context.stdout.write(`${lines.join("\n")}\n`);
}
