// A Maildir that Dovecot served: apop-server answers UIDL with Dovecot's UIDLs (no setting),
// so clients that keep UIDL state download nothing again after a move from Dovecot; mail
// Dovecot has not indexed is appended to dovecot-uidlist (tooling/interop's
// beside-dovecot.test.ts runs this against Dovecot itself).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFixture, MESSAGES } from "./helpers/fixture.ts";
import { LineClient } from "./helpers/line-client.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const fixture = createFixture();
afterAll(() => fixture.cleanup());

describe("beside Dovecot", () => {
  it("serves the UIDLs of dovecot-uidlist, and appends mail Dovecot has not indexed", async () => {
    fixture.writeUsers(["alice:{PLAIN}wonderland"]);
    const maildir = fixture.addMaildir("alice", MESSAGES.slice(0, 3));
    // As Dovecot 2.3 writes it (version 3, UIDVALIDITY 0x65000000), for the first two files.
    writeFileSync(
      path.join(maildir, "dovecot-uidlist"),
      "3 V1694498816 N3 G0123456789abcdef0123456789abcdef\n1 :1700000000.M0P1.test\n2 :1700000001.M1P1.test\n",
    );
    const server = await ServerProcess.start([...fixture.serverArgs(), "--allow-plaintext-auth"]);
    const client = await LineClient.connect({ port: server.port("none") });
    await client.line();
    await client.command("USER alice");
    expect(await client.command("PASS wonderland")).toMatch(/^\+OK/);
    expect(await client.multiline("UIDL")).toEqual([
      expect.stringMatching(/^\+OK/),
      "1 0000000165000000",
      "2 0000000265000000",
      // The next UID (N3), appended to dovecot-uidlist so Dovecot later shows it too.
      "3 0000000365000000",
    ]);
    expect(readFileSync(path.join(maildir, "dovecot-uidlist"), "utf8")).toMatch(
      /\n3 :1700000002\.M2P1\.test\n$/,
    );
    await client.command("QUIT");
    await server.stop();
  });
});
