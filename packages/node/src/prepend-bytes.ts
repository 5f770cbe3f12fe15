import type * as net from "node:net";
import { Duplex } from "node:stream";

/**
 * The socket as a stream that first yields `rest` (octets read past a PROXY header), then
 * the socket's own data, for a TLS server handshake. Node's `TLSSocket` over a plain
 * `net.Socket` reads the socket's handle directly and would never see octets put back with
 * `unshift`; over any other stream it reads what the stream yields.
 */
export function prependBytes(socket: net.Socket, rest: Uint8Array): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => void socket.end(callback),
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  if (rest.length > 0) stream.push(Buffer.from(rest));
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once("end", () => stream.push(null));
  socket.once("close", () => stream.destroy());
  socket.resume();
  return stream;
}
