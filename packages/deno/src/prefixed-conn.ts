import type { ByteConn } from "./deno-conn-transport.ts";

/**
 * `conn` with `rest` (octets read past a PROXY header: the client's first data, a TLS hello
 * say) put back in front, for whoever reads the connection next.
 */
export function prefixedConn(conn: ByteConn, rest: Uint8Array): ByteConn {
  let pending = rest;
  return {
    read: (buffer) => {
      if (pending.length === 0) return conn.read(buffer);
      const count = Math.min(buffer.length, pending.length);
      buffer.set(pending.subarray(0, count));
      pending = pending.subarray(count);
      return Promise.resolve(count);
    },
    write: (bytes) => conn.write(bytes),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
  };
}
