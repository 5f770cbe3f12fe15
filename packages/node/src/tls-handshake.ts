import * as net from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";
import { type Clock, RemoteProtocolError } from "@apop/core";

/** How to run the client side of a TLS handshake: whom we expect to meet. */
export interface ClientTlsOptions {
  /** The host we connected to; the certificate must name it (RFC 2595 section 2.4, RFC 6125). */
  readonly host: string;
  /** The name sent in SNI and checked against the certificate. Default: `host` unless it is an IP address. */
  readonly servername?: string | undefined;
  /** CA certificates (PEM) trusted in addition to Node's root store (as on Deno). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** Verify the chain, the expiry and the host name. Default true (RFC 8314 section 5.3). */
  readonly rejectUnauthorized?: boolean | undefined;
}

export type HandshakeTlsOptions = {
  /**
   * A connected TCP socket nobody else reads from (on the server side, also a stream over
   * one: `prependBytes`, after a PROXY header).
   */
  readonly socket: net.Socket | Duplex;
  /** Give up (and destroy the socket) after this long: fetchmail CVE-2011-1947. */
  readonly timeoutMs: number;
  readonly clock: Clock;
} & (
  | { readonly side: "server"; readonly secureContext: tls.SecureContext }
  | { readonly side: "client"; readonly client: ClientTlsOptions }
);

/**
 * Runs a TLS handshake over an open socket and resolves with the TLS socket once it is
 * secure: for implicit TLS (RFC 8314 section 3) before the first POP3 byte, and for STLS
 * (RFC 2595 section 4) right after the `+OK`. TLS 1.2 is the floor (RFC 8314 section 4.1).
 *
 * Rejects, with the socket destroyed, when the peer fails the handshake, hangs up, the
 * certificate does not verify (client side, unless `rejectUnauthorized` is false), or
 * `timeoutMs` passes first: a peer that connects and says nothing must not hold a
 * connection slot forever.
 */
export function handshakeTls(options: HandshakeTlsOptions): Promise<tls.TLSSocket> {
  const { socket, clock, timeoutMs } = options;
  const secured =
    options.side === "server"
      ? new tls.TLSSocket(socket, {
          isServer: true,
          secureContext: options.secureContext,
          requestCert: false,
        })
      : tls.connect(clientConnectOptions(socket, options.client));
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const done = (error: Error | null): void => {
      cancel();
      secured.off("secure", onSecure);
      secured.off("secureConnect", onSecure);
      secured.off("error", onError);
      secured.off("end", onClose);
      secured.off("close", onClose);
      if (error === null) {
        resolve(secured);
        return;
      }
      // Keep a listener: a late 'error' on a socket nobody watches would crash the process.
      secured.on("error", () => {});
      secured.destroy();
      socket.destroy();
      reject(error);
    };
    const onSecure = (): void => done(null);
    const onError = (error: Error): void => done(error);
    const onClose = (): void =>
      done(
        new RemoteProtocolError({
          code: "connection-closed",
          message: "the peer closed the connection during the TLS handshake",
        }),
      );
    const cancel = clock.setTimer(timeoutMs, () =>
      done(
        new RemoteProtocolError({
          code: "timeout",
          message: `the TLS handshake did not finish within ${timeoutMs} ms`,
        }),
      ),
    );
    // A server-side TLSSocket made by hand reports completion as 'secure'; tls.connect as
    // 'secureConnect' (emitted only after the certificate checks passed).
    secured.once(options.side === "server" ? "secure" : "secureConnect", onSecure);
    secured.once("error", onError);
    // A TLSSocket inherits allowHalfOpen from the socket it wraps (the server's listeners set
    // it), so a peer's FIN mid-handshake is only an 'end', never a 'close': without this the
    // slot stayed taken until `timeoutMs` (a client that sent STLS and hung up held it 30 s).
    secured.once("end", onClose);
    secured.once("close", onClose);
  });
}

let warnedInsecure = false;

function clientConnectOptions(
  socket: net.Socket | Duplex,
  client: ClientTlsOptions,
): tls.ConnectionOptions {
  const rejectUnauthorized = client.rejectUnauthorized ?? true;
  if (!rejectUnauthorized && !warnedInsecure) {
    // Turning verification off must be explicit and noisy (RFC 8314 section 5.3).
    warnedInsecure = true;
    process.emitWarning(
      "TLS certificate verification is disabled (rejectUnauthorized: false): the server's identity is not checked",
      { code: "APOP_TLS_UNVERIFIED" },
    );
  }
  // RFC 6066 section 3 forbids IP addresses in SNI; the identity check then uses `host`,
  // which matches the certificate's IP address entries.
  const servername = client.servername ?? (net.isIP(client.host) === 0 ? client.host : undefined);
  return {
    socket,
    host: client.host,
    ...(servername === undefined ? {} : { servername }),
    ...(client.ca === undefined ? {} : { ca: trustedCas(client.ca) }),
    rejectUnauthorized,
    minVersion: "TLSv1.2",
  };
}

/**
 * The CAs a client trusts given `ca`: Node's root store plus `ca`. Node's own `ca` option
 * replaces the root store; apop's adds to it, as Deno's `caCerts` does, so the option means
 * one thing on every runtime.
 */
export function trustedCas(ca: NonNullable<ClientTlsOptions["ca"]>): (string | Buffer)[] {
  return [...tls.rootCertificates, ...(Array.isArray(ca) ? ca : [ca as string | Buffer])];
}
