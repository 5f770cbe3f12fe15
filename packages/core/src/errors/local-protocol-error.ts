import { ApopError, isNamedApopError } from "./apop-error.ts";

export type LocalProtocolErrorCode =
  /** The call is not allowed in the session's current state. */
  | "invalid-state"
  /** An argument is out of range or not encodable on the wire. */
  | "invalid-argument"
  /** The peer or this configuration does not support what was asked. */
  | "not-supported";

/** Our caller misused the API (h11's `LocalProtocolError`). Thrown synchronously. */
export class LocalProtocolError extends ApopError {
  declare readonly code: LocalProtocolErrorCode;

  constructor(options: { code: LocalProtocolErrorCode; message: string; cause?: unknown }) {
    super({ name: "LocalProtocolError", ...options });
  }

  static override isInstance(error: unknown): error is LocalProtocolError {
    return isNamedApopError(error, "LocalProtocolError");
  }
}
