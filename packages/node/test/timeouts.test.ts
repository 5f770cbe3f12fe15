import { RemoteProtocolError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { RawPeer, rawServer } from "@apop/vitest-preset/raw-peer";
import { ManualClock } from "../../core/test/helpers/manual-clock.ts";
import { connect } from "../src/index.ts";
import { startServer, until } from "./helpers/fixtures.ts";

const pki = perFileTestPki();

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

describe("server timeouts (injected clock)", () => {
  it("closes an idle connection before login at the authorization deadline, telling the client", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock, limits: { authorizationTimeoutMs: 30_000 } });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await until(() => clock.pending > 0, "the deadline to be armed");
    clock.advance(29_999);
    await settle();
    expect(raw.isClosed).toBe(false);
    clock.advance(1);
    expect(await raw.readLine()).toBe("-ERR Disconnected for inactivity");
    await raw.closed;
    await until(() => served.server.connectionCount === 0, "the server to let go");
    expect(served.events).toContainEqual(
      expect.objectContaining({ type: "connection-closed", reason: "timeout" }),
    );
    await served.close();
  });

  it("autologout after 10 minutes idle in TRANSACTION, without UPDATE (RFC 1939 section 3)", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock });
    const before = served.store.messages("bob");
    const client = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    await client.login({ user: "bob", password: "builder", method: "apop" });
    await client.dele(1);
    await settle();
    clock.advance(10 * 60 * 1000 - 1);
    await settle();
    expect(served.server.connectionCount).toBe(1);
    clock.advance(1);
    await until(() => served.server.connectionCount === 0, "the autologout");
    expect(served.store.messages("bob")).toEqual(before);
    await client.close();
    await served.close();
  });

  it("drops an implicit TLS connection that never starts its handshake", async () => {
    const clock = new ManualClock();
    const served = await startServer({
      clock,
      tls: { key: pki.key, cert: pki.cert },
      tlsHandshakeTimeoutMs: 5000,
    });
    const silent = await RawPeer.connect(served.tlsPort as number);
    await until(() => served.server.connectionCount === 1 && clock.pending > 0, "the accept");
    clock.advance(4999);
    await settle();
    expect(silent.isClosed).toBe(false);
    clock.advance(1);
    await silent.closed;
    expect(silent.pending).toBe("");
    await until(() => served.server.connectionCount === 0, "the slot to free");
    expect(served.events).toContainEqual(
      expect.objectContaining({
        type: "connection-closed",
        reason: "tls-failed",
        error: expect.stringMatching(/within 5000 ms/),
      }),
    );
    await served.close();
  });

  it("drops a connection that sends STLS and then no handshake", async () => {
    const clock = new ManualClock();
    const served = await startServer({
      clock,
      tls: { key: pki.key, cert: pki.cert },
      tlsHandshakeTimeoutMs: 5000,
    });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    await raw.write("STLS\r\n");
    expect(await raw.readLine()).toMatch(/^\+OK/);
    await until(() => clock.pending > 0, "the handshake timer");
    clock.advance(5000);
    await raw.closed;
    await until(() => served.server.connectionCount === 0, "the slot to free");
    expect(served.events).toContainEqual(
      expect.objectContaining({ type: "connection-closed", reason: "tls-failed" }),
    );
    await served.close();
  });
});

describe("client timeouts (injected clock)", () => {
  it("gives up on a server that greets and then never answers", async () => {
    const silent = await rawServer(async (peer) => {
      await peer.write("+OK hello\r\n");
    });
    const clock = new ManualClock();
    const client = await connect({
      host: "127.0.0.1",
      port: silent.port,
      tls: "none",
      clock,
      replyTimeoutMs: 5000,
    });
    const capa = client.capa().catch((e: unknown) => e);
    await settle();
    clock.advance(4999);
    await settle();
    expect(silent.peers[0]?.isClosed).toBe(false);
    clock.advance(1);
    const error = await capa;
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("timeout");
    await silent.peers[0]?.closed;
    await silent.close();
  });

  it("gives up on a server that never greets", async () => {
    const mute = await rawServer(() => {});
    const clock = new ManualClock();
    const connecting = connect({
      host: "127.0.0.1",
      port: mute.port,
      tls: "none",
      clock,
      replyTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    await until(() => mute.peers.length === 1, "the connection");
    await settle();
    clock.advance(5000);
    const error = await connecting;
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("timeout");
    await mute.close();
  });

  it("gives up on an implicit TLS handshake the server never answers (CVE-2011-1947)", async () => {
    const mute = await rawServer(() => {});
    const clock = new ManualClock();
    const connecting = connect({
      host: "127.0.0.1",
      port: mute.port,
      tls: "implicit",
      clock,
      tlsHandshakeTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    await until(() => mute.peers.length === 1, "the connection");
    await settle();
    clock.advance(4999);
    await settle();
    expect(mute.peers[0]?.isClosed).toBe(false);
    clock.advance(1);
    const error = await connecting;
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("timeout");
    await mute.close();
  });
});
