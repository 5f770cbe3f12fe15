// PROXY protocol on the Deno listener: core's parser and host, Deno's sockets.
import { deepEqual, equal, match } from "node:assert";
import { formatProxyHeader } from "@apop/core";
import { startServers, until } from "./helpers/fixtures.ts";

const decoder = new TextDecoder();

async function readSome(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(4096);
  const count = await conn.read(buffer);
  return count === null ? "" : decoder.decode(buffer.subarray(0, count));
}

Deno.test("PROXY protocol on the Deno listener", async (t) => {
  const servers = startServers({ proxyProtocol: { trusted: ["127.0.0.1"], headerTimeoutMs: 500 } });
  try {
    await t.step("a v2 header names the client; the command after it is served", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: servers.plain.port });
      const header = formatProxyHeader({
        version: 2,
        endpoints: {
          sourceAddress: "203.0.113.5",
          sourcePort: 4242,
          destinationAddress: "127.0.0.1",
          destinationPort: 110,
        },
      });
      await conn.write(Uint8Array.of(...header, ...new TextEncoder().encode("QUIT\r\n")));
      let reply = "";
      while (!/\r\n.*\r\n/s.test(reply)) reply += await readSome(conn);
      match(reply, /^\+OK.*\r\n\+OK/s);
      conn.close();
      await until(() => servers.events.some((e) => e.type === "connection-closed"));
      const opened = servers.events.find((e) => e.type === "connection-opened");
      deepEqual(
        opened?.type === "connection-opened" && [
          opened.remoteAddress,
          opened.remotePort,
          opened.proxiedBy,
        ],
        ["203.0.113.5", 4242, "127.0.0.1"],
      );
    });

    await t.step("a trusted source that sends no header is closed without a greeting", async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: servers.plain.port });
      await conn.write(new TextEncoder().encode("CAPA\r\n"));
      equal(await readSome(conn), "");
      conn.close();
      await until(() => servers.events.some((e) => e.type === "proxy-refused"));
    });
  } finally {
    await servers.close();
  }
});
