import { concatBytes } from "../bytes/ascii.ts";
import type { Clock } from "../driver/transport.ts";
import { type ProxyHeader, parseProxyHeader } from "./parse-proxy-header.ts";

/** Why a connection that had to open with a PROXY header is refused. */
export type ProxyRefusal =
  /** A trusted source sent something else first: the balancer is misconfigured. */
  | "missing"
  /** A header that breaks the specification. */
  | "invalid"
  /** No complete header within the header timeout. */
  | "timeout"
  /** The peer closed before a complete header. */
  | "closed"
  /** A source that is not trusted sent one (it could name any client it likes). */
  | "untrusted";

export type ProxyHeaderOutcome =
  /** `rest`: octets after the header, the relayed connection's first data (a TLS hello, say). */
  | { readonly ok: true; readonly header: ProxyHeader; readonly rest: Uint8Array }
  | { readonly ok: false; readonly refusal: ProxyRefusal; readonly detail: string };

/**
 * Reads the PROXY header a trusted balancer opens its connections with, before the
 * connection is admitted (so its caps count the real client) and before any greeting or TLS.
 *
 * `read` gives the connection's next chunk, or null once the peer closed. On a refusal the
 * caller drops the connection: a pending `read` is abandoned. Resolves within `timeoutMs`
 * whatever the peer does; never rejects unless `read` does.
 */
export async function readProxyHeader(options: {
  readonly read: () => Promise<Uint8Array | null>;
  readonly clock: Clock;
  readonly timeoutMs: number;
}): Promise<ProxyHeaderOutcome> {
  const { read, clock, timeoutMs } = options;
  let cancel = (): void => {};
  const timedOut = new Promise<ProxyHeaderOutcome>((resolve) => {
    cancel = clock.setTimer(timeoutMs, () =>
      resolve({ ok: false, refusal: "timeout", detail: `no PROXY header within ${timeoutMs} ms` }),
    );
  });
  const reading = (async (): Promise<ProxyHeaderOutcome> => {
    let received: Uint8Array = new Uint8Array(0);
    for (;;) {
      const chunk = await read();
      if (chunk === null) {
        return { ok: false, refusal: "closed", detail: "closed before a complete PROXY header" };
      }
      received = received.length === 0 ? chunk : concatBytes([received, chunk]);
      const parsed = parseProxyHeader(received);
      switch (parsed.kind) {
        case "incomplete":
          continue;
        case "absent":
          return {
            ok: false,
            refusal: "missing",
            detail: "the connection did not open with a PROXY header",
          };
        case "invalid":
          return { ok: false, refusal: "invalid", detail: parsed.reason };
        case "header":
          return { ok: true, header: parsed.header, rest: received.subarray(parsed.length) };
      }
    }
  })();
  try {
    return await Promise.race([reading, timedOut]);
  } finally {
    cancel();
  }
}
