// RFC 1939 section 13's advice as an option: users with a clear secret only log in with a
// challenge-response method, never by sending the password.
import { describe, expect, it } from "vitest";
import {
  type Authenticator,
  MemoryStore,
  Pop3Client,
  Pop3Error,
  plainServer,
  type ServeEvent,
  serveConnection,
} from "../src/index.ts";
import { realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink } from "./helpers/memory-link.ts";

const authenticator: Authenticator = {
  lookup: (user) =>
    user === "clear"
      ? { kind: "clear", secret: "wonderland" }
      : user === "hashed"
        ? { kind: "hashed", verify: (password) => password === "builder" }
        : null,
};

async function open() {
  const link = createMemoryLink({ secure: true });
  const events: ServeEvent[] = [];
  void serveConnection({
    transport: link.server,
    store: new MemoryStore({ mailboxes: { clear: [], hashed: [] } }),
    authenticator,
    clock: realClock,
    randomBytes: (n) => new Uint8Array(n).fill(5),
    hostname: "test.invalid",
    policy: { saslMechanisms: [plainServer], clearSecretsChallengeOnly: true },
    authFailureDelayMs: 0,
    onEvent: (event) => events.push(event),
  });
  const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
  return { client, events };
}

describe("clearSecretsChallengeOnly (RFC 1939 section 13)", () => {
  it("refuses USER/PASS and PLAIN for a clear-secret user like a wrong password, saying why in the log", async () => {
    for (const method of ["user", "plain"] as const) {
      const { client, events } = await open();
      const error = await client
        .login({ user: "clear", password: "wonderland", method })
        .catch((e: unknown) => e);
      expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
      expect(events).toContainEqual(
        expect.objectContaining({
          type: "login-failed",
          detail: expect.stringMatching(/RFC 1939 section 13/),
        }),
      );
      await client.quit();
    }
  });

  it("lets the clear-secret user in with APOP, and a hashed user with PLAIN", async () => {
    const first = await open();
    await first.client.login({ user: "clear", password: "wonderland", method: "apop" });
    await first.client.quit();
    const second = await open();
    await second.client.login({ user: "hashed", password: "builder", method: "plain" });
    await second.client.quit();
  });
});
