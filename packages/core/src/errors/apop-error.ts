const marker = Symbol.for("@apop/core.error");

/**
 * The base of every error apop throws. `isInstance` checks a `Symbol.for` marker instead of
 * the prototype chain, so it still works when two copies of `@apop/core` are loaded (a
 * runtime package and an app may each bundle their own).
 */
export class ApopError extends Error {
  /** The mark `isInstance` looks for (a `Symbol.for` key, shared by every copy of core). */
  readonly [marker] = true;
  /** A stable, machine-readable reason; each subclass narrows it to a literal union. */
  readonly code: string;

  /** `name` is the subclass's name (default `ApopError`); `cause` is kept as `Error.cause`. */
  constructor(options: { name?: string; code: string; message: string; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name ?? "ApopError";
    this.code = options.code;
  }

  /** True for an error from any copy of `@apop/core`, by its marker rather than `instanceof`. */
  static isInstance(error: unknown): error is ApopError {
    return typeof error === "object" && error !== null && marker in error;
  }
}

/** True when `error` is an `ApopError` with the given `name` (works across package copies). */
export function isNamedApopError(error: unknown, name: string): boolean {
  return ApopError.isInstance(error) && error.name === name;
}
