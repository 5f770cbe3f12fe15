import { type Clock, RemoteProtocolError } from "@apop/core";

/**
 * Waits for `promise`, or throws `RemoteProtocolError` `timeout` after `ms` on `clock`.
 * A rejection of `promise` is rethrown as it is.
 */
export async function within<T>(options: {
  readonly ms: number;
  readonly clock: Clock;
  /** For the message: "`what` did not finish within N ms". */
  readonly what: string;
  readonly promise: Promise<T>;
}): Promise<T> {
  const { ms, clock, what, promise } = options;
  let cancel = (): void => {};
  const timeout = new Promise<never>((_, reject) => {
    cancel = clock.setTimer(ms, () =>
      reject(
        new RemoteProtocolError({
          code: "timeout",
          message: `${what} did not finish within ${ms} ms`,
        }),
      ),
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    cancel();
  }
}
