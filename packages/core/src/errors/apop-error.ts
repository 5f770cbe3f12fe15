const marker = Symbol.for("@apop/core.error");

/**
 * The base of every error apop throws. `isInstance` checks a `Symbol.for` marker instead of
 * the prototype chain, so it still works when two copies of `@apop/core` are loaded (a
 * runtime package and an app may each bundle their own).
 */
export class ApopError extends Error {
  /** Marks an apop error across copies of the package (what `isInstance` checks). */
  readonly [marker] = true;
  /** A stable, machine-readable reason; each subclass narrows it to a literal union. */
  readonly code: string;

  /** `name` defaults to `ApopError`; `cause`, when given, becomes the standard `Error.cause`. */
  constructor(options: { name?: string; code: string; message: string; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = options.name ?? "ApopError";
    this.code = options.code;
  }

  /** True for an error of any apop subclass, from this copy of `@apop/core` or another. */
  static isInstance(error: unknown): error is ApopError {
    return typeof error === "object" && error !== null && marker in error;
  }
}

/** True when `error` is an `ApopError` with the given `name` (works across package copies). */
export function isNamedApopError(error: unknown, name: string): boolean {
  return ApopError.isInstance(error) && error.name === name;
}
