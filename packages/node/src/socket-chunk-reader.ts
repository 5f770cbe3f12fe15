import type * as net from "node:net";

/**
 * Pull reads from a socket that nothing else reads yet (for the PROXY header, before the
 * connection is admitted): `read` resumes the socket for one chunk and pauses it again, so
 * nothing is read past what was asked for. `handOver` puts back what was read too far and
 * leaves the socket paused for its next reader (a transport, or a TLS handshake), which
 * resumes it.
 */
export function socketChunkReader(socket: net.Socket): {
  read: () => Promise<Uint8Array | null>;
  handOver: (rest: Uint8Array) => void;
} {
  let ended = false;
  return {
    read: () =>
      new Promise((resolve) => {
        if (ended || socket.destroyed) {
          resolve(null);
          return;
        }
        const finish = (chunk: Buffer | null): void => {
          socket.off("data", onData);
          socket.off("end", onEnd);
          socket.off("close", onEnd);
          socket.pause();
          if (chunk === null) ended = true;
          resolve(
            chunk === null ? null : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length),
          );
        };
        const onData = (chunk: Buffer): void => finish(chunk);
        const onEnd = (): void => finish(null);
        socket.on("data", onData);
        socket.once("end", onEnd);
        socket.once("close", onEnd);
        socket.resume();
      }),
    handOver: (rest) => {
      socket.pause();
      if (rest.length > 0) socket.unshift(Buffer.from(rest));
    },
  };
}
