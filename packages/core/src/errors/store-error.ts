import { ApopError, isNamedApopError } from "./apop-error.ts";

/**
 * What a store can report; the server turns each into the response code of the same name
 * (RFC 2449 section 8.2 for IN-USE, RFC 3206 section 4 for SYS/TEMP and SYS/PERM).
 */
export type StoreErrorCode = "in-use" | "sys-temp" | "sys-perm" | "login-delay";

/** A `MailStore` or `Maildrop` could not do what was asked. */
export class StoreError extends ApopError {
  declare readonly code: StoreErrorCode;

  constructor(options: { code: StoreErrorCode; message: string; cause?: unknown }) {
    super({ name: "StoreError", ...options });
  }

  static override isInstance(error: unknown): error is StoreError {
    return isNamedApopError(error, "StoreError");
  }
}
