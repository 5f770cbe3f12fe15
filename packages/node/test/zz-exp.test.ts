import { MemoryStore } from "@apop/core";
import { expect, it } from "vitest";
import { startServer, until, latin1 } from "./helpers/fixtures.ts";
import { RawPeer } from "./helpers/raw-peer.ts";

it("exp: pipelined LIST flood", async () => {
  const store = new MemoryStore({
    mailboxes: { alice: Array.from({ length: 3000 }, (_, i) => latin1(`Subject: ${i}\r\n\r\nx\r\n`)) },
  });
  const served = await startServer({ store, allowPlaintextAuth: true });
  const raw = await RawPeer.connect(served.port);
  raw.socket.pause();
  await raw.write("USER alice\r\nPASS wonderland\r\n" + "UIDL\r\n".repeat(5000));
  await new Promise((r) => setTimeout(r, 1500));
  const info = served.server.connections()[0];
  console.log(info?.stats);
  raw.close();
  await served.close();
});
