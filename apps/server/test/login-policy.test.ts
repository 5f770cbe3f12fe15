// apop-server's login policy: LOGIN-DELAY kept in the Maildir (so it holds across a restart),
// and failed-login log lines that carry the client's address and the growing penalty.
import { Pop3Error } from "@apop/core";
import { connect } from "@apop/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixture, type Fixture } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

let fixture: Fixture;
let config: string;

beforeAll(() => {
  fixture = createFixture();
  fixture.writeUsers(["alice:{PLAIN}wonderland"]);
  fixture.addMaildir("alice");
  config = fixture.writeConfig({
    listen: "127.0.0.1:0",
    users: "users",
    maildirRoot: "mail",
    allowPlaintextAuth: true,
    limits: { authFailureDelaySeconds: 0.05, loginDelaySeconds: 3600 },
    shutdownGraceSeconds: 1,
  });
});

afterAll(() => fixture?.cleanup());

async function login(server: ServerProcess, password = "wonderland"): Promise<unknown> {
  const client = await connect({ host: "127.0.0.1", port: server.port("none"), tls: "none" });
  const capa = await client.capa();
  try {
    await client.login({ user: "alice", password, method: "apop" });
    return capa?.get("LOGIN-DELAY");
  } catch (error) {
    return error;
  } finally {
    await client.quit().catch(() => {});
  }
}

describe("LOGIN-DELAY on apop-server", () => {
  it("is advertised, refuses a second login with [LOGIN-DELAY], and still does after a restart", async () => {
    const first = await ServerProcess.start(["--config", config]);
    try {
      expect(await login(first)).toEqual(["3600"]);
      const again = await login(first);
      expect(Pop3Error.isInstance(again) && again.code).toBe("login-delay");
    } finally {
      await first.stop();
    }
    const restarted = await ServerProcess.start(["--config", config]);
    try {
      const after = await login(restarted);
      expect(Pop3Error.isInstance(after) && after.code).toBe("login-delay");
    } finally {
      await restarted.stop();
    }
  });
});

describe("failed logins", () => {
  it("are logged with the client's address, and each one from that address waits longer", async () => {
    const server = await ServerProcess.start(["--config", config]);
    try {
      for (let i = 0; i < 3; i++) {
        const error = await login(server, "wrong");
        expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
      }
      const failed = server.logs.filter((record) => record.event === "auth-failed");
      expect(failed.map((record) => record.remote)).toEqual([
        "127.0.0.1",
        "127.0.0.1",
        "127.0.0.1",
      ]);
      expect(failed.map((record) => record.delayMs)).toEqual([50, 100, 200]);
      expect(failed[0]?.detail).toBe("wrong password");
    } finally {
      await server.stop();
    }
  });
});
