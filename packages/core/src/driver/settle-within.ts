import type { Clock } from "./transport.ts";

/**
 * Waits for `promise` to settle, or for `ms` to pass on `clock`, whichever comes first, and
 * never rejects: the grace a transport gives a peer to finish a close before it closes hard.
 * The timer is cancelled either way. (`withTimeLimit` is the strict form, which throws.)
 */
export async function settleWithin(options: {
  readonly ms: number;
  readonly clock: Clock;
  readonly promise: Promise<unknown>;
}): Promise<void> {
  const { ms, clock, promise } = options;
  let cancel = (): void => {};
  const grace = new Promise<void>((resolve) => {
    cancel = clock.setTimer(ms, resolve);
  });
  try {
    await Promise.race([
      promise.then(
        () => {},
        () => {},
      ),
      grace,
    ]);
  } finally {
    cancel();
  }
}
