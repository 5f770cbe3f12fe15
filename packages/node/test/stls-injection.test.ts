import { RemoteProtocolError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { RawPeer, rawServer } from "@apop/vitest-preset/raw-peer";
import { connect } from "../src/index.ts";
import { perFileTlsServer, startServer } from "./helpers/fixtures.ts";
import { injectingServer } from "./helpers/injecting-server.ts";

const pki = perFileTestPki();
const served = perFileTlsServer(pki);

/** Sends `STLS` with a command behind it in one write, then a probe inside TLS. */
async function injectBehindStls(
  injected: string,
): Promise<{ afterTls: string | null; clear: string }> {
  const raw = await RawPeer.connect(served.port);
  expect(await raw.readLine()).toMatch(/^\+OK /);
  await raw.write(`STLS\r\n${injected}`);
  expect(await raw.readLine()).toBe("+OK Begin TLS negotiation");
  const clear = raw.pending;
  await raw.startTls({ side: "client", ca: pki.ca });
  // STAT is refused before login; had USER/PASS run inside TLS, the replies would differ.
  await raw.write("STAT\r\n");
  const afterTls = await raw.readLine();
  await raw.write("QUIT\r\n");
  await raw.readLine();
  raw.close();
  return { afterTls, clear };
}

describe("STARTTLS command injection on the server (CVE-2011-0411)", () => {
  it("never answers inside TLS a command that arrived in clear behind STLS", async () => {
    const { afterTls, clear } = await injectBehindStls("USER x\r\n");
    expect(clear).toBe("");
    expect(afterTls).toMatch(/^-ERR STAT is not valid in the AUTHORIZATION state/);
  });

  it("drops a whole pipelined login behind STLS", async () => {
    const { afterTls } = await injectBehindStls("USER alice\r\nPASS wonderland\r\nCAPA\r\n");
    expect(afterTls).toMatch(/^-ERR STAT/);
    expect(served.events).not.toContainEqual(
      expect.objectContaining({ event: expect.objectContaining({ type: "login-succeeded" }) }),
    );
  });

  it("holds on many concurrent connections (James CVE-2022-28220: concurrency)", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => injectBehindStls(`USER u${i}\r\nNOOP\r\n`)),
    );
    for (const { afterTls } of results) expect(afterTls).toMatch(/^-ERR STAT/);
  });
});

describe("STARTTLS response injection on the client", () => {
  it("does not take a line sent behind the STLS +OK as the reply to its next command", async () => {
    const server = await injectingServer({
      pki,
      replies: ["+OK Begin TLS\r\n+OK injected\r\n"],
    });
    const client = await connect({
      host: "127.0.0.1",
      port: server.port,
      tls: "starttls",
      ca: pki.ca,
    });
    expect(client.secure).toBe(true);
    // "+OK injected" would make CAPA succeed; the real reply inside TLS is -ERR (null).
    expect(await client.capa()).toBeNull();
    await client.quit();
    expect(server.lines).toEqual(["CAPA", "STLS", "tls:CAPA", "tls:QUIT"]);
    await server.close();
  });

  it("does not take injected lines written separately before the handshake", async () => {
    const server = await injectingServer({ pki, replies: ["+OK Begin TLS\r\n", "+OK injected\r\n"] });
    // Either the injected bytes were queued (dropped before the handshake) or they reached
    // the TLS layer (the handshake fails): never a reply.
    const outcome = await connect({
      host: "127.0.0.1",
      port: server.port,
      tls: "starttls",
      ca: pki.ca,
    })
      .then(async (client) => {
        const capa = await client.capa();
        await client.quit();
        return capa;
      })
      .catch((error: unknown) => error);
    expect(outcome === null || outcome instanceof Error).toBe(true);
    await server.close();
  });
});

describe("STLS policy on the client (EAST Negotiation, fetchmail CVE-2021-39272)", () => {
  it("a server without STLS: tls-unavailable, and nothing but CAPA was sent in clear", async () => {
    const plain = await startServer({ allowPlaintextAuth: true });
    const error = await connect({ host: "127.0.0.1", port: plain.port, tls: "starttls" }).catch(
      (e: unknown) => e,
    );
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("tls-unavailable");
    await plain.close();
    const commands = plain.events.flatMap((e) =>
      e.type === "session-event" && e.event.type === "command-received" ? [e.event.keyword] : [],
    );
    expect(commands).toEqual(["CAPA"]);
  });

  const cases: [string, (peer: RawPeer, line: string) => Promise<void>][] = [
    [
      "CAPA answered -ERR",
      async (peer, line) => {
        if (line === "CAPA") await peer.write("-ERR what is CAPA\r\n");
      },
    ],
    [
      "STLS missing from CAPA",
      async (peer, line) => {
        if (line === "CAPA") await peer.write("+OK\r\nUSER\r\nSASL PLAIN\r\n.\r\n");
      },
    ],
    [
      "STLS answered -ERR [SYS/PERM]",
      async (peer, line) => {
        if (line === "CAPA") await peer.write("+OK\r\nSTLS\r\n.\r\n");
        if (line === "STLS") await peer.write("-ERR [SYS/PERM] not today\r\n");
      },
    ],
  ];

  it.each(cases)("%s: tls-unavailable, connection closed, no login sent", async (_, answer) => {
    const lines: string[] = [];
    let closed: Promise<void> = Promise.resolve();
    const server = await rawServer(async (peer) => {
      closed = peer.closed;
      await peer.write("+OK ready <1.2@example.org>\r\n");
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
        lines.push(line);
        await answer(peer, line);
      }
    });
    const error = await connect({ host: "127.0.0.1", port: server.port, tls: "starttls" }).catch(
      (e: unknown) => e,
    );
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("tls-unavailable");
    await closed;
    expect(lines.every((line) => line === "CAPA" || line === "STLS")).toBe(true);
    await server.close();
  });

  it("a connection dropped after the STLS +OK fails, it does not fall back", async () => {
    const server = await rawServer(async (peer) => {
      await peer.write("+OK ready\r\n");
      for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
        if (line === "CAPA") await peer.write("+OK\r\nSTLS\r\n.\r\n");
        if (line === "STLS") {
          await peer.write("+OK go\r\n");
          peer.close();
        }
      }
    });
    await expect(
      connect({ host: "127.0.0.1", port: server.port, tls: "starttls", ca: pki.ca }),
    ).rejects.toThrow();
    await server.close();
  });
});
