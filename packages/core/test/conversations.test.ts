// Whole conversations between a client session and a server session, synchronously, on one
// manual clock (quinn-proto's `Pair`): no sockets, no timers, no sleeps.
import { describe, expect, it } from "vitest";
import { apopDigest, RemoteProtocolError } from "../src/index.ts";
import { MESSAGES, RFC_TIMESTAMP, text } from "./helpers/server-harness.ts";
import { SessionPair } from "./helpers/session-pair.ts";

const digest = apopDigest({ timestamp: RFC_TIMESTAMP, secret: "tanstaaf" });

describe("a client session and a server session, back to back", () => {
  it("log in with APOP, list, read, delete and quit: UPDATE removes the message", () => {
    const pair = new SessionPair();
    expect(pair.clientEvents[0]).toMatchObject({
      type: "greeting-received",
      timestamp: RFC_TIMESTAMP,
    });
    pair.send({ keyword: "APOP", name: "mrose", digest });
    expect([pair.client.state, pair.server.state]).toEqual(["TRANSACTION", "TRANSACTION"]);
    pair.send(
      { keyword: "UIDL" },
      { keyword: "RETR", message: 2 },
      { keyword: "DELE", message: 2 },
    );
    const uidl = pair.clientEvents.find(
      (e) => e.type === "response-received" && e.command.keyword === "UIDL",
    );
    expect(uidl?.type === "response-received" && uidl.lines).toEqual([
      "1 uid-1",
      "2 uid-2",
      "3 uid-3",
    ]);
    const body = pair.clientEvents
      .filter((e) => e.type === "body-chunk")
      .map((e) => (e.type === "body-chunk" ? text(e.data) : ""))
      .join("");
    expect(body).toBe(MESSAGES[1]);
    pair.send({ keyword: "QUIT" });
    expect(pair.harness.events).toContainEqual({ type: "update-requested", deleted: [1] });
    expect([pair.client.state, pair.server.state]).toEqual(["CLOSED", "CLOSED"]);
    expect(pair.clientError).toBeNull();
  });

  it("the server's autologout closes an idle TRANSACTION after 10 minutes, not a moment before", () => {
    const pair = new SessionPair();
    pair.send({ keyword: "APOP", name: "mrose", digest });
    pair.advance(10 * 60 * 1000 - 1);
    expect(pair.server.state).toBe("TRANSACTION");
    // Nothing is owed to the client, so it runs no timer of its own.
    expect(pair.client.nextDeadline()).toBeNull();
    pair.advanceToNextDeadline();
    expect(pair.server.state).toBe("CLOSED");
    expect(pair.harness.events).toContainEqual({ type: "session-closed", reason: "timeout" });
    // The client sees the connection end with nothing owed: closed, and no error.
    expect(pair.client.state).toBe("CLOSED");
    expect(pair.clientError).toBeNull();
  });

  it("the client's reply timeout lives in the session: a server that never answers a login is cut off", () => {
    const pair = new SessionPair({ hold: ["login"], limits: { replyTimeoutMs: 5000 } });
    pair.send({ keyword: "APOP", name: "mrose", digest });
    expect(pair.client.nextDeadline()).toBe(pair.now + 5000);
    // The server runs no timer while its host checks the login.
    expect(pair.server.nextDeadline()).toBeNull();
    pair.advance(4999);
    expect(pair.clientError).toBeNull();
    pair.advanceToNextDeadline();
    expect(RemoteProtocolError.isInstance(pair.clientError)).toBe(true);
    expect((pair.clientError as RemoteProtocolError).code).toBe("timeout");
    expect(pair.client.state).toBe("CLOSED");
  });

  it("STLS: both sides forget the clear-text state and go on inside TLS", () => {
    const pair = new SessionPair({ policy: { allowPlaintextAuth: false, tlsAvailable: true } });
    pair.send({ keyword: "CAPA" });
    expect(pair.client.capabilities?.has("STLS")).toBe(true);
    expect(pair.client.capabilities?.has("USER")).toBe(false);
    pair.send({ keyword: "STLS" });
    expect(pair.server.tlsActive).toBe(true);
    expect(pair.client.capabilities).toBeNull();
    pair.send({ keyword: "CAPA" });
    expect(pair.client.capabilities?.has("USER")).toBe(true);
    pair.send({ keyword: "USER", name: "mrose" }, { keyword: "PASS", password: "tanstaaf" });
    expect([pair.client.state, pair.server.state]).toEqual(["TRANSACTION", "TRANSACTION"]);
  });
});
