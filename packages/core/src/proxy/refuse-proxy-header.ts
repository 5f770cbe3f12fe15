import { concatBytes } from "../bytes/ascii.ts";
import type { Transport } from "../driver/transport.ts";
import { parseProxyHeader } from "./parse-proxy-header.ts";

/**
 * Wraps the transport of a connection from a source that is not trusted, on a server that
 * takes PROXY headers: if the client's first octets are a PROXY header (v1 or v2), `onHeader`
 * is called and the connection is closed instead of reading on. A spoofed header is thus
 * refused outright, not merely answered `-ERR` line by line while the connection stays open.
 *
 * The client's first octets are held until they can be told apart from a header (at most
 * the 12 of the v2 signature); anything else passes through untouched.
 */
export function refuseProxyHeader(options: {
  readonly transport: Transport;
  readonly onHeader: (detail: string) => void;
}): Transport {
  const { transport, onHeader } = options;
  let deciding = true;
  const read = async (): Promise<Uint8Array | null> => {
    if (!deciding) return transport.read();
    let held: Uint8Array = new Uint8Array(0);
    for (;;) {
      const chunk = await transport.read();
      if (chunk === null) {
        deciding = false;
        return held.length === 0 ? null : held;
      }
      held = held.length === 0 ? chunk : concatBytes([held, chunk]);
      const parsed = parseProxyHeader(held);
      if (parsed.kind === "incomplete") continue;
      deciding = false;
      if (parsed.kind === "absent") return held;
      onHeader(
        parsed.kind === "invalid"
          ? `a malformed PROXY header (${parsed.reason}) from a source that is not trusted`
          : "a PROXY header from a source that is not trusted",
      );
      await transport.close().catch(() => {});
      return null;
    }
  };
  const { upgrade } = transport;
  return {
    read,
    write: (bytes) => transport.write(bytes),
    ...(transport.releasesWrittenBytes === undefined
      ? {}
      : { releasesWrittenBytes: transport.releasesWrittenBytes }),
    close: () => transport.close(),
    get secure() {
      return transport.secure;
    },
    // STLS comes after the first line, so the header question is settled by then.
    ...(upgrade === undefined ? {} : { upgrade: () => upgrade.call(transport) }),
  };
}
