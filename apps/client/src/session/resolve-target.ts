import { CliError } from "@apop/cli-kit";
import { defaultPort, LocalProtocolError, parsePop3Url } from "@apop/core";
import type { TlsMode } from "@apop/node";
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
  const port = options.port ?? url.port ?? defaultPort({ implicitTls: tls === "implicit" });
  return {
    host: url.host,
    port,
    tls,
    user: options.user ?? url.user,
    auth: options.auth ?? authFromUrl(url.auth),
  };
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
    method === "scram-sha-256-plus" ||
    method === "oauthbearer" ||
    method === "xoauth2"
  )
    return method;
  throw new CliError({
    exitCode: ExitCode.usage,
    message: `the URL asks for ;AUTH=${auth}, which apop does not support (use *, +APOP, PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS, OAUTHBEARER or XOAUTH2)`,
  });
}
