/**
 * The example page in a real browser: Debian's Chromium, driven by playwright-core, loads the
 * page from the bridge's own server on 127.0.0.1, signs in with APOP through the bridge to an
 * @apop/node server (STLS on the server hop), lists the mailbox and reads a message.
 * The screenshot is kept in test-artifacts/ (git-ignored). Needs the build: the page loads
 * dist/browser.js (turbo's test task builds first).
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's locator.innerText(), not the DOM property: the rendered text is what a person reads.
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { needs } from "@apop/vitest-preset/needs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { type Bridge, type BridgeEvent, createBridge } from "../src/bridge/index.ts";
import { PASSWORD, type Pop3, startPop3, until } from "./helpers/fixtures.ts";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const artifacts = fileURLToPath(new URL("../test-artifacts/", import.meta.url));

let pki: TestPki;
let pop3: Pop3;
let bridge: Bridge;
let browser: Browser;
let origin = "";
const bridgeEvents: BridgeEvent[] = [];

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

needs({
  met: existsSync(chromiumPath),
  what: `Chromium at ${chromiumPath} (npm run setup)`,
}).describe("the example page in Chromium", () => {
  beforeAll(async () => {
    if (!existsSync(`${dist}browser.js`) || !existsSync(`${dist}page/app.js`)) {
      throw new Error("the page is not built: run `npx tsup` (turbo's test task builds first)");
    }
    pki = createTestPki();
    pop3 = await startPop3(pki);
    bridge = await createBridge({
      port: 0,
      host: "127.0.0.1",
      targets: [{ name: "local", host: "127.0.0.1", port: pop3.port, tls: "starttls", ca: pki.ca }],
      // The page's origin is known once the bridge has its port.
      allowedOrigins: (candidate) => candidate === origin,
      servePage: true,
      onEvent: (event) => bridgeEvents.push(event),
    });
    origin = `http://127.0.0.1:${bridge.address?.port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.close();
    await pop3?.close();
    pki?.cleanup();
  });

  it("signs in with APOP through the bridge, lists the mailbox and reads a message", async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });

    await page.goto(`${origin}/`);
    await expect.poll(() => page.locator("#server option").count()).toBe(1);
    await page.getByLabel("Server").selectOption("local");
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByLabel("Login method").selectOption("apop");
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: `${artifacts}webmail-sign-in.png`, fullPage: true });
    await page.getByRole("button", { name: "Sign in" }).click();

    const rows = page.locator("#messages tbody tr");
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(2);
    const cells = async (row: number): Promise<string[]> =>
      rows.nth(row).locator("td").allInnerTexts();
    expect(await cells(0)).toEqual(["1", expect.stringMatching(/ B$/), "1", "Hello from apop"]);
    expect(await cells(1)).toEqual(["2", expect.stringMatching(/ B$/), "2", "Grüße aus Köln"]);
    expect(await page.locator("#messages-caption").innerText()).toMatch(/^2 messages, /);
    const facts = await page.locator("#connection").innerText();
    expect(facts).toMatch(/Bridge to server\s+TLS after STLS/);
    expect(facts).toMatch(/Greeting\s+\+OK .*<[^>]+@pop\.test>/);
    expect(await page.getByLabel("Password").inputValue()).toBe("");

    await page.getByRole("button", { name: "Grüße aus Köln" }).click();
    await expect.poll(() => page.locator("#reader-body").innerText()).toContain("Schöne Grüße.");
    await page.getByRole("button", { name: "Hello from apop" }).click();
    await expect
      .poll(() => page.locator("#reader-body").innerText())
      .toContain("this came through the bridge.");
    expect(await page.locator("#reader-headers").innerText()).toMatch(
      /From\s+Bob <bob@example\.test>[\s\S]*Subject\s+Hello from apop/,
    );
    expect(await page.locator("#status").innerText()).toBe("Message 1 is open below.");

    await page.screenshot({ path: `${artifacts}webmail.png`, fullPage: true });

    // The server saw an APOP login inside TLS; the bridge's STLS never reached the page.
    const login = pop3.events.find(
      (event) => event.type === "session-event" && event.event.type === "login-succeeded",
    );
    expect(login).toMatchObject({ event: { mechanism: "APOP", user: "alice" } });
    expect(pop3.server.connections()[0]?.secure).toBe(true);
    expect(bridgeEvents).toContainEqual(
      expect.objectContaining({ type: "upstream-ready", target: "local", secure: true }),
    );

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.locator("#status").innerText()).toBe("Signed out.");
    await until(() => pop3.events.at(-1)?.type === "connection-closed", "the session to end");
    expect(pop3.events.at(-1)).toMatchObject({ reason: "quit", user: "alice", secure: true });
    expect(pop3.store.messages("alice")).toHaveLength(2);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("shows the bridge's refusal when the server cannot be reached", async () => {
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await expect.poll(() => page.locator("#server option").count()).toBe(1);
    await pop3.server.close({ graceMs: 0 });
    await page.getByLabel("User name").fill("alice");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.locator("#status").innerText())
      .toMatch(/^The bridge says: could not reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(await page.locator("#status").getAttribute("class")).toBe("error");
    expect(await page.locator("#login").isVisible()).toBe(true);
    await page.close();
  }, 30_000);
});
