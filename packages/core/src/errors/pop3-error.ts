import { ApopError, isNamedApopError } from "./apop-error.ts";

/**
 * What a `-ERR` reply means to a client, from its response code (RFC 2449 section 8,
 * RFC 3206, RFC 6856). A client must tell these apart (RFC 3206):
 * `in-use`, `login-delay` and `sys-temp` are worth retrying later with the same password;
 * only `auth` says the credentials were wrong.
 */
export type Pop3ErrorCode =
  | "auth"
  | "in-use"
  | "login-delay"
  | "sys-temp"
  | "sys-perm"
  | "utf8"
  | "err";

/** The server answered `-ERR`. */
export class Pop3Error extends ApopError {
  /** What the reply means, from its response code: `auth`, `in-use`, `sys-temp`, ... */
  declare readonly code: Pop3ErrorCode;
  /** The response code as the server sent it (`SYS/TEMP`), if any. */
  readonly responseCode: string | undefined;
  /** The server's text after the status and code. */
  readonly serverText: string;
  /** The keyword of the command that failed (`PASS`), or `GREETING`. */
  readonly command: string;

  /** The failed command's keyword and the `-ERR` line's response code and text. */
  constructor(options: { command: string; responseCode?: string | undefined; serverText: string }) {
    super({
      name: "Pop3Error",
      code: pop3ErrorCode(options.responseCode),
      message: `${options.command} failed: -ERR${options.responseCode ? ` [${options.responseCode}]` : ""}${options.serverText ? ` ${options.serverText}` : ""}`,
    });
    this.responseCode = options.responseCode;
    this.serverText = options.serverText;
    this.command = options.command;
  }

  /** True for a `Pop3Error`, from this copy of `@apop/core` or another. */
  static override isInstance(error: unknown): error is Pop3Error {
    return isNamedApopError(error, "Pop3Error");
  }
}

function pop3ErrorCode(responseCode: string | undefined): Pop3ErrorCode {
  // Codes are hierarchical (RFC 2449 section 8): `AUTH/EXPIRED` is still an AUTH failure.
  // So is `IN-USE/SHARED` an IN-USE: every known code is matched with its sub-levels.
  const code = responseCode?.toUpperCase() ?? "";
  const is = (known: string): boolean => code === known || code.startsWith(`${known}/`);
  if (is("IN-USE")) return "in-use";
  if (is("LOGIN-DELAY")) return "login-delay";
  if (is("SYS/TEMP")) return "sys-temp";
  if (is("SYS/PERM")) return "sys-perm";
  if (is("AUTH")) return "auth";
  if (is("UTF8")) return "utf8";
  return "err";
}
