// @apop/workers and the example Worker under a real workerd, against @apop/node servers on
// 127.0.0.1: the Worker's scheduled run (started through the harness's test-only route, as
// workerd has no cron) posts every message to a webhook, byte for byte, over STLS and over
// implicit TLS; plus the STLS discard guarantee and certificate checks of `connect()`.
import { beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../node/src/index.ts";
import { perFile, perFileTestPki } from "@apop/vitest-preset/per-file";
import {
  PASSWORD,
  startServer,
  TRICKY,
  type TestServer,
  text,
  until,
} from "../../node/test/helpers/fixtures.ts";
import { injectingServer } from "../../node/test/helpers/injecting-server.ts";
import type { PollResult } from "../example/mail-to-webhook.ts";
import { startWebhookReceiver } from "./helpers/webhook-receiver.ts";
import { startWorkerd } from "./helpers/workerd.ts";

const pki = perFileTestPki();
const webhook = perFile(startWebhookReceiver, (receiver) => receiver.close());
const workerd = perFile(
  () =>
    startWorkerd({
      pki,
      env: {
        APOP_POP3_PASSWORD: PASSWORD,
        APOP_WEBHOOK_URL: webhook.url,
        APOP_WEBHOOK_TOKEN: "t0ken",
      },
    }),
  (running) => running.stop(),
);

type Answer<T> = { readonly result?: T; readonly error?: { code?: string; message?: string } };

/** One scheduled run of the example Worker, with `settings` over its configured ones. */
function scheduledRun(settings: Record<string, string>): Promise<Answer<PollResult>> {
  return workerd.post<Answer<PollResult>>("/scheduled", settings);
}

/** The UIDs of alice's messages, in order, asked beforehand by the Node client. */
async function uidsOf(port: number): Promise<string[]> {
  const client = await connect({ host: "127.0.0.1", port, tls: "starttls", ca: pki.ca });
  await client.login({ user: "alice", password: PASSWORD });
  const uids = (await client.uidl()).map((listing) => listing.uid);
  await client.quit();
  return uids;
}

/** The commands a server received, in order. */
function commandsOf(served: TestServer): string[] {
  return served.events.flatMap((e) =>
    e.type === "session-event" && e.event.type === "command-received" ? [e.event.keyword] : [],
  );
}

let received = 0;
beforeAll(() => {
  received = 0;
});
/** The posts the webhook got since the last call. */
function newPosts() {
  const posts = webhook.received.slice(received);
  received = webhook.received.length;
  return posts;
}

describe.each([
  ["starttls", (s: { port: number }) => s.port],
  ["implicit", (s: { tlsPort: number | null }) => s.tlsPort as number],
] as const)("the example Worker over %s", (tls, portOf) => {
  it("posts every message byte for byte, in order, then deletes them at QUIT", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    try {
      const uids = await uidsOf(served.port);
      await until(() => !served.store.isLocked("alice"), "the Node client's session to end");
      const answer = await scheduledRun({ POP3_PORT: String(portOf(served)), POP3_TLS: tls });
      expect(answer).toEqual({
        result: { found: TRICKY.length, delivered: TRICKY.length, stoppedBy: null },
      });
      const posts = newPosts();
      expect(posts.map((post) => text(post.body))).toEqual(TRICKY.map((m) => text(m.arrives)));
      expect(posts.map((post) => post.headers["x-pop3-uid"])).toEqual(uids);
      for (const post of posts) {
        expect(post.headers["content-type"]).toBe("message/rfc822");
        expect(post.headers.authorization).toBe("Bearer t0ken");
      }
      expect(served.store.messages("alice")).toEqual([]);
      // The server refuses a password in clear (no allowPlaintextAuth): the login ran in TLS.
      // A second run finds nothing new and posts nothing.
      const again = await scheduledRun({ POP3_PORT: String(portOf(served)), POP3_TLS: tls });
      expect(again).toEqual({ result: { found: 0, delivered: 0, stoppedBy: null } });
      expect(newPosts()).toEqual([]);
    } finally {
      await served.close();
    }
  });
});

describe("the example Worker when the webhook fails", () => {
  it("keeps every message it could not post; the next run delivers them", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    try {
      const settings = { POP3_PORT: String(served.port), POP3_TLS: "starttls" };
      webhook.statuses.push(200, 200, 503);
      expect(await scheduledRun(settings)).toEqual({
        result: {
          found: TRICKY.length,
          delivered: 2,
          stoppedBy: "the webhook answered 503",
        },
      });
      expect(newPosts()).toHaveLength(3);
      expect(served.store.messages("alice").map(text)).toEqual(
        TRICKY.slice(2).map((m) => text(m.stored)),
      );
      const rest = await scheduledRun(settings);
      expect(rest.result?.delivered).toBe(TRICKY.length - 2);
      expect(newPosts().map((post) => text(post.body))).toEqual(
        TRICKY.slice(2).map((m) => text(m.arrives)),
      );
    } finally {
      await served.close();
    }
  });
});

type CapaAnswer = Answer<never> & { secure?: boolean; capabilities?: string[] | null };

describe("connect() under workerd", () => {
  it("sees the capabilities of a secure connection after STLS", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    try {
      const answer = await workerd.post<CapaAnswer>("/capa", {
        host: "127.0.0.1",
        port: served.port,
        tls: "starttls",
      });
      expect(answer.secure).toBe(true);
      expect(answer.capabilities).toContain("USER");
      expect(answer.capabilities).not.toContain("STLS");
    } finally {
      await served.close();
    }
  });

  it("connectUrl: pop3s:// is implicit TLS, pop:// is STLS, both to the port the URL names", async () => {
    const served = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    try {
      for (const url of [
        `pop3s://alice@127.0.0.1:${served.tlsPort}`,
        `pop://alice;AUTH=*@127.0.0.1:${served.port}`,
      ]) {
        const answer = await workerd.post<CapaAnswer>("/capa", { url });
        expect(answer, url).toMatchObject({ secure: true });
        expect(answer.capabilities, url).toContain("USER");
      }
      expect(commandsOf(served)).toEqual(["CAPA", "QUIT", "CAPA", "STLS", "CAPA", "QUIT"]);
    } finally {
      await served.close();
    }
  });

  it("never takes a line sent behind the STLS +OK as a reply (RFC 2595 section 4)", async () => {
    const hostile = await injectingServer({
      pki,
      replies: ["+OK Begin TLS\r\n+OK injected\r\n"],
    });
    try {
      const answer = await workerd.post<CapaAnswer>("/capa", {
        host: "127.0.0.1",
        port: hostile.port,
        tls: "starttls",
      });
      // "+OK injected" would have made CAPA succeed; the real reply inside TLS is -ERR.
      expect(answer).toEqual({ secure: true, capabilities: null });
      expect(hostile.lines).toEqual(["CAPA", "STLS", "tls:CAPA", "tls:QUIT"]);
    } finally {
      await hostile.close();
    }
  });

  it("nor injected lines written on their own before the handshake", async () => {
    const hostile = await injectingServer({
      pki,
      replies: ["+OK Begin TLS\r\n", "+OK injected\r\n"],
    });
    try {
      const answer = await workerd.post<CapaAnswer>("/capa", {
        host: "127.0.0.1",
        port: hostile.port,
        tls: "starttls",
      });
      // The injected bytes reach the TLS layer (the handshake fails) or are dropped: CAPA
      // is refused inside TLS or the connection fails, never answered by the injection.
      if (answer.error === undefined) expect(answer).toEqual({ secure: true, capabilities: null });
      else expect(answer.capabilities).toBeUndefined();
    } finally {
      await hostile.close();
    }
  });

  it("never goes on in clear when the server offers no STLS", async () => {
    const plain = await startServer({ allowPlaintextAuth: true });
    try {
      const answer = await workerd.post<CapaAnswer>("/capa", {
        host: "127.0.0.1",
        port: plain.port,
        tls: "starttls",
      });
      expect(answer.error?.code).toBe("tls-unavailable");
      expect(commandsOf(plain)).toEqual(["CAPA"]);
    } finally {
      await plain.close();
    }
  });

  it.each([
    ["starttls", "a self-signed certificate", "selfSignedCert"],
    ["implicit", "a self-signed certificate", "selfSignedCert"],
    ["starttls", "a certificate for another name", "wrongNameCert"],
    ["implicit", "an expired certificate", "expiredCert"],
  ] as const)("refuses over %s %s", async (tls, _, which) => {
    const bad = await startServer({ tls: { key: pki.key, cert: pki[which] } });
    try {
      const answer = await workerd.post<CapaAnswer>("/capa", {
        host: "127.0.0.1",
        port: tls === "implicit" ? bad.tlsPort : bad.port,
        tls,
      });
      expect(answer.error?.message).toBeTruthy();
      expect(answer.capabilities).toBeUndefined();
      // Over STLS the server saw CAPA and STLS in clear, and nothing inside TLS.
      expect(commandsOf(bad)).toEqual(tls === "starttls" ? ["CAPA", "STLS"] : []);
    } finally {
      await bad.close();
    }
  });
});
