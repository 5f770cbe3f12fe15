import { RemoteProtocolError } from "../errors/remote-protocol-error.ts";
import type { Clock } from "./transport.ts";

/**
 * Waits for `promise`, or throws `RemoteProtocolError` `timeout` ("`what` did not finish
 * within N ms") once `ms` have passed on `clock`. A rejection of `promise` is rethrown as it
 * is. For the waits an adapter times itself (a TLS handshake, a socket opening), so that a
 * peer that says nothing cannot hold a connection forever (fetchmail CVE-2011-1947), with
 * the same error on every runtime. The timer is cancelled either way.
 */
export async function withTimeLimit<T>(options: {
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
