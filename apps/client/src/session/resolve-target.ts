import { LocalProtocolError } from "@apop/core";
import { parsePop3Url, type TlsMode } from "@apop/node";
import { CliError } from "../cli/cli-error.ts";
import { ExitCode } from "../cli/exit-code.ts";
import type { AuthMethod, CliOptions } from "../cli/parse-arguments.ts";

/** The server to talk to and how, from the URL and the flags that override it. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsMode;
  /** From `--user`, else the URL; the `.netrc` may still supply it later. */
  readonly user: string | undefined;
  readonly auth: AuthMethod;
}

/**
 * Reads the URL (`parsePop3Url`: `pop://` and `pop3://` mean STLS required, `pop3s://`
 * implicit TLS) and applies `--tls`, `--port`, `--user` and `--auth` on top.
 *
 * - The port is `--port`, else the URL's, else the default of the TLS mode actually used
 *   (995 for implicit TLS, 110 otherwise), so `pop://host --tls implicit` goes to 995.
 * - The login method is `--auth`, else the URL's `;AUTH=` (RFC 2384 section 3: `*` is any,
 *   so `auto`; `+APOP` is APOP; a SASL name is that mechanism), else `auto`.
 *
 * Throws `CliError` exit 2 for a bad URL or a mechanism apop does not implement.
 */
export function resolveTarget(options: CliOptions): Target {
  let url: ReturnType<typeof parsePop3Url>;
  try {
    url = parsePop3Url(options.url);
  } catch (error) {
    if (!LocalProtocolError.isInstance(error)) throw error;
    throw new CliError({ exitCode: ExitCode.usage, message: `bad URL: ${error.message}` });
  }
  const tls = options.tls ?? url.tls;
  const port =
    options.port ?? (hasExplicitPort(options.url) ? url.port : tls === "implicit" ? 995 : 110);
  return {
    host: url.host,
    port,
    tls,
    user: options.user ?? url.user,
    auth: options.auth ?? authFromUrl(url.auth),
  };
}

/** The URL ends in `:<digits>` (an IPv6 literal ends in `]`, so it cannot be mistaken). */
function hasExplicitPort(url: string): boolean {
  return /:\d+\/?$/.test(url);
}

function authFromUrl(auth: string | undefined): AuthMethod {
  if (auth === undefined || auth === "*") return "auto";
  if (auth === "+APOP") return "apop";
  const method = auth.toLowerCase();
  if (
    method === "plain" ||
    method === "login" ||
    method === "cram-md5" ||
    method === "scram-sha-256" ||
    method === "scram-sha-256-plus"
  )
    return method;
  throw new CliError({
    exitCode: ExitCode.usage,
    message: `the URL asks for ;AUTH=${auth}, which apop does not support (use *, +APOP, PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256 or SCRAM-SHA-256-PLUS)`,
  });
}
