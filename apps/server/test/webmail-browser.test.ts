/**
 * The page `apop-server --web` serves, used as a person would in Debian's Chromium (driven
 * by playwright-core): sign in with APOP through the server's own bridge, read a message from
 * a real Maildir, delete it, sign out, and the file is gone. The page's behaviour in detail
 * (loading order, sizes, policies, accessibility) is tested by @apop/websocket; this checks
 * that the one command serves a page that works end to end. Screenshots go to
 * test-artifacts/ (git-ignored).
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's locator.innerText(), not the DOM property: the rendered text is what a person reads.
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { needs } from "@apop/vitest-preset/needs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFixture, type Fixture, type FixtureMessage } from "./helpers/fixture.ts";
import { ServerProcess } from "./helpers/server-process.ts";

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const artifacts = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

function mail(n: number, body: string): FixtureMessage {
  const text =
    `From: Sender ${n} <sender${n}@example.test>\r\nTo: alice@example.test\r\n` +
    `Subject: Note ${n}\r\nDate: ${new Date(Date.UTC(2026, 0, n)).toUTCString()}\r\n\r\n${body}\r\n`;
  const bytes = Buffer.from(text, "latin1");
  return { name: `note-${n}`, stored: bytes, arrives: bytes };
}

let fixture: Fixture;
let maildir: string;
let browser: Browser;

const files = (): string[] => ["new", "cur"].flatMap((sub) => readdirSync(path.join(maildir, sub)));

needs({
  met: existsSync(chromiumPath),
  what: `Chromium at ${chromiumPath} (npm run setup)`,
}).describe("apop-server --web in Chromium", () => {
  beforeAll(async () => {
    fixture = createFixture();
    fixture.writeUsers(["alice:{PLAIN}wonderland"]);
    maildir = fixture.addMaildir("alice", [
      mail(1, "The first note."),
      mail(2, "The second note."),
      mail(3, "The third note."),
    ]);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    fixture?.cleanup();
  });

  it("signs in, reads, deletes at sign-out: the message leaves the Maildir", async () => {
    const server = await ServerProcess.start([...fixture.serverArgs(), "--web", "127.0.0.1:0"]);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    try {
      const url = server.logs.find((r) => r.event === "webmail")?.url as string;
      await page.goto(url);
      await expect.poll(() => page.locator("#server option").count()).toBe(1);
      await page.getByLabel("User name").fill("alice");
      await page.getByLabel("Password").fill("wonderland");
      await page.getByLabel("Login method").selectOption("apop");
      await page.getByRole("button", { name: "Sign in" }).click();
      const rows = page.locator("#messages tbody tr:not(.pending)");
      await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
      // Newest first.
      expect(await rows.first().locator("td").first().innerText()).toBe("Sender 3");
      await page.locator("#messages tbody tr", { hasText: "Note 2" }).click();
      await expect
        .poll(() => page.locator("#reader-text").innerText())
        .toContain("The second note.");
      await page.getByRole("button", { name: "Delete" }).click();
      await expect.poll(() => page.locator("#delete-note").isVisible()).toBe(true);
      expect(files()).toHaveLength(3);
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: `${artifacts}apop-server-web.png` });
      await page.getByRole("button", { name: "Sign out" }).click();
      await expect
        .poll(() => page.locator("#status").innerText())
        .toBe("Signed out. The server deleted 1 message.");
      expect(files()).toHaveLength(2);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await server.stop();
    }
  }, 90_000);
});
