import { CliError } from "@apop/cli-kit";
import { LocalProtocolError, Pop3Error, RemoteProtocolError } from "@apop/core";
import { ExitCode } from "./exit-code.ts";

/** Where in the session a failure happened: the same `-ERR` means different things. */
export type Phase = "connect" | "login" | "session";

/**
 * Turns whatever a phase threw into the one line and exit code the user sees (see
 * `exit-code.ts`). The response codes of RFC 2449 section 8 and RFC 3206 decide: `[IN-USE]`,
 * `[LOGIN-DELAY]` and `[SYS/TEMP]` are "try later" (5) and must not read as a wrong password
 * (RFC 3206 section 4, RFC 2449 section 8.1); `[AUTH]`, or a login `-ERR` with no code, is 4;
 * `[SYS/PERM]` and a misbehaving server are 6; anything on the way to the server (sockets,
 * TLS, certificates, STLS, timeouts) is 3. A `CliError` passes through; anything unknown is a
 * bug (1).
 */
export function classifyError(options: {
  error: unknown;
  phase: Phase;
  server: string;
  user?: string;
}): CliError {
  const { error, phase, server } = options;
  if (error instanceof CliError) return error;
  const fail = (exitCode: ExitCode, message: string): CliError =>
    new CliError({ exitCode, message, cause: error });
  const who = options.user === undefined ? server : `${options.user} at ${server}`;

  if (Pop3Error.isInstance(error)) {
    const said = `${error.command} -ERR${error.responseCode === undefined ? "" : ` [${error.responseCode}]`}${error.serverText === "" ? "" : ` ${error.serverText}`}`;
    switch (error.code) {
      case "in-use":
        return fail(
          ExitCode.unavailable,
          `the mailbox of ${who} is in use by another session; try again later (${said})`,
        );
      case "login-delay":
        return fail(
          ExitCode.unavailable,
          `${server} asks to wait longer between logins; try again later (${said})`,
        );
      case "sys-temp":
        return fail(
          ExitCode.unavailable,
          `${server} has a temporary problem; try again later (${said})`,
        );
      case "sys-perm":
        return fail(
          ExitCode.protocol,
          `${server} has a permanent problem that needs its administrator (${said})`,
        );
      default:
        if (phase === "login") return fail(ExitCode.auth, `login failed for ${who} (${said})`);
        if (phase === "connect")
          return fail(ExitCode.unavailable, `${server} refused the session (${said})`);
        return fail(ExitCode.protocol, `${server} answered an error (${said})`);
    }
  }

  if (RemoteProtocolError.isInstance(error)) {
    switch (error.code) {
      case "timeout":
      case "connection-closed":
        return fail(ExitCode.connection, `connection to ${server} failed: ${error.message}`);
      case "tls-unavailable":
        return fail(ExitCode.connection, `${server}: ${error.message}`);
      case "bad-timestamp":
        return fail(ExitCode.auth, `cannot use APOP with ${server}: ${error.message}`);
      default:
        return fail(ExitCode.protocol, `${server} broke the protocol: ${error.message}`);
    }
  }

  if (LocalProtocolError.isInstance(error)) {
    if (error.code === "not-supported" && phase === "login") {
      // The refusals of a password in clear get the flag that allows it; the others (UTF-8
      // credentials for a server without UTF8 USER, RFC 6856 section 2.2) say their remedy.
      const hint = /\b(in clear|plaintext)\b/.test(error.message)
        ? " (--allow-plaintext allows a password in clear)"
        : "";
      return fail(ExitCode.auth, `not logging in to ${server}: ${error.message}${hint}`);
    }
    if (error.code === "invalid-argument") return fail(ExitCode.usage, error.message);
    return fail(ExitCode.internal, error.message);
  }

  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (typeof code === "string") {
    return fail(
      ExitCode.connection,
      `connection to ${server} failed: ${describeNetworkError(code, error as Error)}`,
    );
  }
  return fail(ExitCode.internal, `unexpected error: ${(error as Error)?.message ?? String(error)}`);
}

function describeNetworkError(code: string, error: Error): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_NONAME":
      return "host not found";
    case "EAI_AGAIN":
      return "name lookup failed (temporary)";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "ETIMEDOUT":
      return "timed out";
    case "ECONNRESET":
    case "EPIPE":
      return "connection reset by the server";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `the TLS certificate is not for this host name (${error.message})`;
    default:
      if (TLS_TRUST_CODES.has(code)) {
        return `the TLS certificate is not trusted (${code}); use --ca FILE to trust a private CA`;
      }
      if (code.startsWith("CERT_") || code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS")) {
        return `TLS failed (${code}: ${error.message})`;
      }
      return `${error.message} (${code})`;
  }
}

/** Node's codes for a chain that does not lead to a trusted CA. */
const TLS_TRUST_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_UNTRUSTED",
]);
