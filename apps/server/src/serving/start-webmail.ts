import { X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { CliError } from "@apop/cli-kit";
import { isLoopbackAddress } from "@apop/core/internal";
import {
  type Bridge,
  type BridgeEvent,
  type BridgeTarget,
  createBridge,
} from "@apop/websocket/bridge";
import { ExitCode } from "../cli/exit-code.ts";
import { formatHostPort, type HostPort } from "../config/host-port.ts";
import type { BoundListener } from "./listen-all.ts";

export interface Webmail {
  readonly bridge: Bridge;
  /** What to open in a browser. */
  readonly url: string;
}

/**
 * `--web HOST:PORT`: the webmail page and its WebSocket bridge (@apop/websocket), beside the
 * POP3 listeners. The bridge's allow-list is this server alone, reached on loopback: over
 * implicit TLS or STLS when the server has a certificate (checked against that certificate,
 * so every hop is private and PLAIN works with hashed passwords), else in clear, where the
 * page signs in with APOP or CRAM-MD5. Pages from other origins are refused.
 *
 * Without a certificate the page is served on a loopback address only (the bridge's rule: a
 * password must not cross the network in clear); a non-loopback `--web` is exit 2. An
 * address in use is exit 3, as for the POP3 listeners.
 */
export async function startWebmail(options: {
  web: HostPort;
  listeners: readonly BoundListener[];
  tls: { readonly cert: string; readonly key: string } | undefined;
  hostname: string;
  onEvent: (event: BridgeEvent) => void;
}): Promise<Webmail> {
  const { web, tls } = options;
  const host = web.host ?? "0.0.0.0";
  if (tls === undefined && !isLoopbackAddress(host)) {
    throw new CliError({
      exitCode: ExitCode.config,
      message: `config: web: ${formatHostPort(web)} is reachable from other machines, which needs TLS: give --tls-cert FILE and --tls-key FILE, or serve the page on 127.0.0.1`,
    });
  }
  const names = tls === undefined ? [] : certificateNames(tls.cert);
  // The page offers the one server it may reach under this server's own name.
  const target = ownTarget(options.hostname, options.listeners, tls, names);
  let port = web.port;
  const pageHosts = new Set(["localhost", "127.0.0.1", "[::1]", options.hostname, ...names]);
  if (web.host !== undefined) pageHosts.add(isIP(web.host) === 6 ? `[${web.host}]` : web.host);
  const scheme = tls === undefined ? "http:" : "https:";
  let bridge: Bridge;
  try {
    bridge = await createBridge({
      port: web.port,
      host,
      ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
      targets: [target],
      servePage: true,
      // The page's own origin, under any of this server's names.
      allowedOrigins: (origin) => {
        try {
          const url = new URL(origin);
          return (
            url.protocol === scheme &&
            Number(url.port || (scheme === "https:" ? 443 : 80)) === port &&
            pageHosts.has(url.hostname)
          );
        } catch {
          return false;
        }
      },
      onEvent: options.onEvent,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError({
      exitCode: code === "invalid-argument" ? ExitCode.config : ExitCode.listen,
      message: `apop-server: cannot serve the webmail page on ${formatHostPort(web)}: ${(error as Error).message}`,
    });
  }
  port = bridge.address?.port ?? web.port;
  const shownHost =
    tls !== undefined
      ? (names[0] ?? options.hostname)
      : web.host === undefined || web.host === "0.0.0.0" || web.host === "::"
        ? "127.0.0.1"
        : pageHosts.has(web.host)
          ? web.host.includes(":")
            ? `[${web.host}]`
            : web.host
          : "127.0.0.1";
  return { bridge, url: `${scheme}//${shownHost}:${port}/` };
}

/** One listener of this server, dialled on loopback, with TLS whenever there is a certificate. */
function ownTarget(
  name: string,
  listeners: readonly BoundListener[],
  tls: { readonly cert: string } | undefined,
  names: readonly string[],
): BridgeTarget {
  const listener =
    listeners.find((l) => l.tls === "implicit") ??
    listeners.find((l) => l.tls === "starttls") ??
    (listeners[0] as BoundListener);
  const host = listener.address.includes(":") ? "::1" : "127.0.0.1";
  const dial = isLoopbackAddress(listener.address) ? listener.address : host;
  if (tls === undefined || listener.tls === "none") {
    return { name, host: dial, port: listener.port, tls: "none" };
  }
  return {
    name,
    host: dial,
    port: listener.port,
    tls: listener.tls,
    // The certificate's own name, since the bridge dials an address.
    ...(names[0] === undefined ? {} : { servername: names[0] }),
    // A chain that carries its own root (a private CA, a self-signed certificate) is the trust
    // anchor; one issued by a public CA is checked against the system's roots.
    ...(selfSigned(tls.cert) ? { ca: tls.cert } : {}),
  };
}

function certificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

/** The DNS names of the leaf certificate (subjectAltName), first as written. */
function certificateNames(pem: string): string[] {
  const leaf = certificates(pem)[0];
  return (leaf?.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((entry) => entry.startsWith("DNS:"))
    .map((entry) => entry.slice(4));
}

function selfSigned(pem: string): boolean {
  return certificates(pem).some((cert) => cert.checkIssued(cert) && cert.verify(cert.publicKey));
}
