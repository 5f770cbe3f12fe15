import type { AddressInfo } from "node:net";
import { CliError } from "@apop/cli-kit";
import type { Pop3Server } from "@apop/node";
import { ExitCode } from "../cli/exit-code.ts";
import { formatHostPort, type HostPort } from "../config/host-port.ts";

/** A listener that is up, for logs and the demo banner. */
export interface BoundListener {
  /** As configured (`*` for every interface). */
  readonly requested: HostPort;
  readonly address: string;
  readonly port: number;
  /** `starttls` (plain, STLS on offer), `none` (plain, no certificate) or `implicit`. */
  readonly tls: "starttls" | "none" | "implicit";
}

/**
 * Opens every listener, plain ones first. Throws `CliError` (exit 3) on the first that
 * fails, with the reason in words: the port is taken, needs privileges, or the address is
 * not on this machine. The caller closes the server (and the listeners already open).
 */
export async function listenAll(options: {
  server: Pop3Server;
  listen: readonly HostPort[];
  tlsListen: readonly HostPort[];
  hasCertificate: boolean;
}): Promise<BoundListener[]> {
  const { server } = options;
  const bound: BoundListener[] = [];
  const wanted = [
    ...options.listen.map((requested) => ({ requested, implicitTls: false })),
    ...options.tlsListen.map((requested) => ({ requested, implicitTls: true })),
  ];
  for (const { requested, implicitTls } of wanted) {
    let info: AddressInfo;
    try {
      info = await server.listen({
        port: requested.port,
        implicitTls,
        ...(requested.host === undefined ? {} : { host: requested.host }),
      });
    } catch (error) {
      throw new CliError({
        exitCode: ExitCode.listen,
        message: `apop-server: cannot listen on ${formatHostPort(requested)}: ${explain(error)}`,
      });
    }
    bound.push({
      requested,
      address: info.address,
      port: info.port,
      tls: implicitTls ? "implicit" : options.hasCertificate ? "starttls" : "none",
    });
  }
  return bound;
}

function explain(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  switch (code) {
    case "EADDRINUSE":
      return "the address is already in use (another apop-server?); pick another port with --listen HOST:PORT";
    case "EACCES":
      return "permission denied: ports below 1024 need root (with --user NAME to drop privileges) or CAP_NET_BIND_SERVICE";
    case "EADDRNOTAVAIL":
      return "that address does not belong to this machine";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "the host name does not resolve";
    default:
      return message ?? String(error);
  }
}
