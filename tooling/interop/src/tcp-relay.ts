import { connect, createServer, type Socket } from "node:net";

/** A TCP relay on one loopback port whose backend can be switched between connections. */
export interface TcpRelay {
  readonly port: number;
  /** The backend port for connections made from now on. */
  target: number;
  close(): Promise<void>;
}

/**
 * One address for two servers, as a load balancer or a DNS switch gives clients: a client
 * keeps its state per `host:port` (the `apop` CLI's state file is keyed so), so moving a
 * mailbox between servers behind one address is what it sees. Each accepted connection is
 * piped to `target` as it was when the connection came in; `onClientData` may listen in.
 */
export async function startTcpRelay(options: {
  target: number;
  /** Hears every chunk a client sends (to check a client's bytes on the wire). */
  onClientData?: (chunk: Buffer) => void;
}): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const relay = { target: options.target };
  const server = createServer((client) => {
    track(client);
    const backend = connect({ host: "127.0.0.1", port: relay.target });
    track(backend);
    if (options.onClientData !== undefined) client.on("data", options.onClientData);
    client.pipe(backend);
    backend.pipe(client);
    client.once("close", () => backend.destroy());
    backend.once("close", () => client.destroy());
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no port"));
      else resolve(address.port);
    });
  });
  return {
    port,
    get target() {
      return relay.target;
    },
    set target(value: number) {
      relay.target = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
