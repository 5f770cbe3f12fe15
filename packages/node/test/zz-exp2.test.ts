import { expect, it } from "vitest";
import { connect } from "../src/index.ts";
import { rawServer } from "./helpers/raw-peer.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("exp: unsolicited after greeting", async () => {
  const server = await rawServer(async (peer) => {
    await peer.write("+OK ready\r\n");
    await wait(50);
    await peer.write("+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n");
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      if (line === "CAPA") await peer.write("+OK\r\nUSER\r\n.\r\n");
      else await peer.write("+OK\r\n");
    }
  });
  const client = await connect({ host: "127.0.0.1", port: server.port, tls: "none" });
  await wait(150);
  const r = await client.capa().then((c) => c, (e) => e);
  console.log("capa ->", r);
  await server.close();
});

it("exp: +OK with no text, weird codes", async () => {
  const server = await rawServer(async (peer) => {
    await peer.write("+OK\r\n");
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      if (line === "NOOP") await peer.write("-ERR [SYS/TEMP/FOO] weird\r\n");
      else if (line === "RSET") await peer.write("-ERR [in-use] lower\r\n");
      else await peer.write("+OK\r\n");
    }
  });
  const client = await connect({ host: "127.0.0.1", port: server.port, tls: "none" });
  console.log(client.greeting);
  const e1 = await client.utf8().then(() => "ok", (e) => e);
  console.log("utf8", e1);
  await server.close();
});
