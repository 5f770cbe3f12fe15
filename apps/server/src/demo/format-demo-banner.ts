import path from "node:path";
import type { BoundListener } from "../serving/listen-all.ts";
import { DEMO_PASSWORD, DEMO_USER } from "./ensure-demo-data.ts";

/**
 * The lines `apop-server --demo` prints on stderr (stdout carries the JSON logs): where the
 * data is and two commands that work exactly as printed, in the repository (where npx finds
 * the workspace's `apop`) and anywhere else (where npx fetches `@apop/cli`). The
 * host and port are the bound ones, so `--listen 127.0.0.1:0` still prints working commands.
 */
export function formatDemoBanner(options: {
  dir: string;
  cwd: string;
  listener: BoundListener;
  created: readonly string[];
  /** The webmail page's address, when it is on. */
  webmailUrl?: string | undefined;
}): string {
  const { listener } = options;
  const shown = (file: string): string => path.relative(options.cwd, file) || ".";
  // A wildcard listener is reachable on loopback too; name an address a client can dial.
  const address =
    listener.address === "0.0.0.0" || listener.address === "::" ? "127.0.0.1" : listener.address;
  const host = address.includes(":") ? `[${address}]` : address;
  const authority = `${host}:${listener.port}`;
  const scheme = listener.tls === "implicit" ? "pop3s" : "pop3";
  const tlsFlag = listener.tls === "implicit" ? "implicit" : "none";
  const lines = [
    "",
    `apop-server demo: user "${DEMO_USER}", password "${DEMO_PASSWORD}" (stored in clear, so APOP works)`,
    `  users file: ${shown(path.join(options.dir, "users"))}`,
    `  Maildir:    ${shown(path.join(options.dir, "mail", DEMO_USER))}/`,
    ...(options.created.length > 0
      ? ["  (created just now; remove the folder to start over)"]
      : []),
    `  POP3 on ${authority}, no TLS: APOP and CRAM-MD5 work; USER/PASS is refused in clear.`,
    "",
    ...(options.webmailUrl === undefined
      ? []
      : [
          `Webmail: open ${options.webmailUrl} and sign in as ${DEMO_USER} / ${DEMO_PASSWORD}.`,
          "",
        ]),
    "Try:",
    `  APOP_PASSWORD=${DEMO_PASSWORD} npx @apop/cli list ${scheme}://${DEMO_USER}@${authority} --tls ${tlsFlag} --auth apop`,
    `  curl --login-options 'AUTH=+APOP' -u ${DEMO_USER}:${DEMO_PASSWORD} ${scheme}://${authority}/1`,
    "",
    "Logs follow on stdout, one JSON object per line. Stop with Ctrl-C.",
    "",
  ];
  return lines.join("\n");
}
