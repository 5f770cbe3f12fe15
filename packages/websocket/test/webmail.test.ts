/**
 * The webmail page in a real browser: Debian's Chromium, driven by playwright-core, at a
 * desktop and a phone size. The page comes from the bridge's own server on 127.0.0.1 and
 * signs in through the bridge (STLS on the server hop) to an @apop/node server whose store
 * can hold back chosen replies, so the tests check order and behaviour, never time.
 * Screenshots are kept in test-artifacts/ (git-ignored); axe-core checks accessibility.
 * Needs the build: the page loads dist/browser.js (turbo's test task builds first).
 */
// biome-ignore-all lint/performance/useDomNodeTextContent: Playwright's locator.innerText(), not the DOM property: the rendered text is what a person reads.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import * as http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { needs } from "@apop/vitest-preset/needs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../../tooling/test-pki/test-pki.ts";
import { type Bridge, createBridge } from "../src/bridge/index.ts";
import { FRAME_POLICY, FRAME_POLICY_REMOTE_IMAGES, PAGE_POLICY } from "../src/bridge/serve-page.ts";
import { commandsSeen, PASSWORD, type Pop3, startPop3, until } from "./helpers/fixtures.ts";
import { HoldingStore } from "./helpers/holding-store.ts";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const artifacts = fileURLToPath(new URL("../test-artifacts/", import.meta.url));
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve("axe-core/axe.min.js"),
  "utf8",
);

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const COUNT = 80;
/** A 1x1 GIF. */
const GIF = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";

let pki: TestPki;
let browser: Browser;
let pixels: http.Server;
let pixelHits: string[] = [];
let pixelUrl = "";

/** Message n of the mailbox: plain, except two multipart ones. */
function message(n: number): Uint8Array {
  const date = new Date(Date.UTC(2026, 0, 1, n));
  const head =
    `From: Sender ${n} <sender${n}@example.test>\r\nTo: alice@example.test\r\n` +
    `Subject: Subject ${n}\r\nDate: ${date.toUTCString()}\r\nMessage-ID: <${n}@example.test>\r\n`;
  if (n === COUNT - 1) {
    const boundary = "mixed-boundary";
    return Buffer.from(
      `${head}Subject: ignored duplicate\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n` +
        `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n` +
        "Sch=C3=B6ne Gr=C3=BC=C3=9Fe, the plan is attached.\r\n" +
        `--${boundary}\r\nContent-Type: text/csv; name="plan.csv"\r\nContent-Disposition: attachment; filename="plan.csv"\r\n` +
        `Content-Transfer-Encoding: base64\r\n\r\n${Buffer.from("day,task\r\n1,read mail\r\n").toString("base64")}\r\n` +
        `--${boundary}--\r\n`,
      "latin1",
    );
  }
  if (n === COUNT - 2) {
    const boundary = "alt-boundary";
    return Buffer.from(
      `${head}MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n` +
        `--${boundary}\r\nContent-Type: text/plain\r\n\r\nNewsletter in plain text.\r\n` +
        `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n` +
        `<h1 style="color: rebeccapurple">Newsletter</h1><p>Hello <b>Alice</b>.</p>` +
        `<img alt="tracker" src="${pixelUrl}/pixel.png?m=${n}">` +
        `<img alt="dot" src="data:image/gif;base64,${GIF}">` +
        `<script>parent.postMessage("escaped", "*")</script>` +
        `<a href="https://example.test/">a link</a>\r\n--${boundary}--\r\n`,
      "latin1",
    );
  }
  return Buffer.from(`${head}\r\nHello from message ${n}.\r\n`, "latin1");
}

interface Rig extends Pop3<HoldingStore> {
  readonly bridge: Bridge;
  readonly origin: string;
  /** The keywords the server received, in order. */
  commands(): string[];
}

async function startRig(): Promise<Rig> {
  const store = new HoldingStore({
    alice: Array.from({ length: COUNT }, (_, i) => message(i + 1)),
  });
  const pop3 = await startPop3(pki, undefined, {
    store,
    // OAUTHBEARER and XOAUTH2 (RFC 7628): this test validator accepts `token-for-<user>` only.
    tokenValidator: async ({ user, token }) =>
      token === `token-for-${user}`
        ? { ok: true }
        : { ok: false, status: "invalid_token", reason: "not this user's test token" },
  });
  let origin = "";
  const bridge = await createBridge({
    port: 0,
    host: "127.0.0.1",
    targets: [{ name: "local", host: "127.0.0.1", port: pop3.port, tls: "starttls", ca: pki.ca }],
    allowedOrigins: (candidate) => candidate === origin,
    servePage: true,
  });
  origin = `http://127.0.0.1:${bridge.address?.port}`;
  return {
    ...pop3,
    bridge,
    origin,
    commands: () => commandsSeen(pop3.events),
    close: async () => {
      store.release();
      await bridge.close();
      await pop3.close();
    },
  };
}

const rigs: Rig[] = [];
const pages: Page[] = [];
let problems: string[] = [];

async function rig(): Promise<Rig> {
  const started = await startRig();
  rigs.push(started);
  return started;
}

async function openPage(at: Rig, viewport = DESKTOP): Promise<Page> {
  const page = await browser.newPage({ viewport });
  pages.push(page);
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (entry) => {
    // The frame's policy reports what it blocked: that is the policy working.
    if (entry.type() === "error" && !/Content Security Policy/.test(entry.text())) {
      problems.push(`console: ${entry.text()}`);
    }
  });
  await page.goto(`${at.origin}/`);
  await expect.poll(() => page.locator("#server option").count()).toBe(1);
  return page;
}

async function signIn(page: Page, password = PASSWORD): Promise<void> {
  await page.getByLabel("User name").fill("alice");
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Login method").selectOption("apop");
  await page.getByRole("button", { name: "Sign in" }).click();
}

const row = (page: Page, n: number) => page.locator(`#messages tbody tr[data-message="${n}"]`);
const filledRows = (page: Page) => page.locator("#messages tbody tr:not(.pending)").count();

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: `${artifacts}${name}.png` });
}

/** axe-core's WCAG 2 A/AA rules on the page as it is now: no violations. */
async function expectAccessible(page: Page): Promise<void> {
  const violations = await page.evaluate(`(async () => {
    ${axeSource}
    const result = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] });
    return result.violations.map((v) => v.id + ": " + v.nodes.map((n) => n.target.join(" ")).join(", "));
  })()`);
  expect(violations).toEqual([]);
}

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

needs({
  met: existsSync(chromiumPath),
  what: `Chromium at ${chromiumPath} (npm run setup)`,
}).describe("the webmail page in Chromium", () => {
  beforeAll(async () => {
    if (!existsSync(`${dist}browser.js`) || !existsSync(`${dist}page/app.js`)) {
      throw new Error("the page is not built: run `npx tsup` (turbo's test task builds first)");
    }
    pki = createTestPki();
    pixels = http.createServer((request, response) => {
      pixelHits.push(request.url ?? "");
      response.writeHead(200, { "Content-Type": "image/gif" });
      response.end(Buffer.from(GIF, "base64"));
    });
    await new Promise<void>((resolve) => pixels.listen(0, "127.0.0.1", resolve));
    pixelUrl = `http://127.0.0.1:${(pixels.address() as AddressInfo).port}`;
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

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
    for (const started of rigs.splice(0)) await started.close();
    const seen = problems;
    problems = [];
    expect(seen).toEqual([]);
    pixelHits = [];
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => pixels?.close(resolve));
    pki?.cleanup();
  });

  it("signs in and lists the mailbox newest first with From, Subject, Date and Size", async () => {
    const at = await rig();
    const page = await openPage(at);
    await screenshot(page, "webmail-sign-in-desktop");
    await expectAccessible(page);
    await signIn(page);
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    const first = await page.locator("#messages tbody tr").first().locator("td").allInnerTexts();
    expect(first).toEqual([
      `Sender ${COUNT}`,
      `Subject ${COUNT}`,
      expect.any(String),
      expect.stringMatching(/ B$/),
    ]);
    const numbers = await page
      .locator("#messages tbody tr")
      .evaluateAll((rows) => rows.map((tr) => Number((tr as HTMLElement).dataset.message)));
    expect(numbers).toEqual(Array.from({ length: COUNT }, (_, i) => COUNT - i));
    expect(await row(page, 1).locator("time").getAttribute("datetime")).toBe(
      "2026-01-01T01:00:00.000Z",
    );
    expect(await page.locator("#list-progress").innerText()).toMatch(/^80 messages, [\d.]+ KiB$/);
    expect(await page.getByLabel("Password").inputValue()).toBe("");
    const facts = await page.locator("#connection").textContent();
    expect(facts).toMatch(/Bridge to server\s*TLS after STLS/);
    await expectAccessible(page);
    await screenshot(page, "webmail-list-desktop");
    // PIPELINING is on offer: the TOPs went out without waiting for each reply.
    expect(at.commands().filter((keyword) => keyword === "TOP")).toHaveLength(COUNT);
  }, 90_000);

  it("core's client in the page logs in with OAUTHBEARER and XOAUTH2 through the bridge", async () => {
    const at = await rig();
    const page = await openPage(at);
    // The page's own bundle (browser.js, served by the bridge) running core's Pop3Client in
    // Chromium: the TLS of the hop ends at the bridge, the SASL exchange runs in the page.
    // A string, not a function: vitest would rewrite a function's import() for Node.
    const results = await page.evaluate(`(async () => {
      const { connectBridgeClient } = await import("/browser.js");
      const url = new URL("/pop3", location.href);
      url.protocol = "ws:";
      const outcomes = [];
      for (const [method, token] of [
        ["oauthbearer", "token-for-alice"],
        ["xoauth2", "token-for-alice"],
        ["oauthbearer", "token-for-bob"],
      ]) {
        const { client } = await connectBridgeClient({ url: url.href, target: "local" });
        try {
          await client.login({ user: "alice", password: token, method });
          outcomes.push(method + ": " + (await client.stat()).count + " messages");
        } catch (error) {
          outcomes.push(method + ": " + error.code);
        }
        await client.quit();
      }
      return outcomes;
    })()`);
    expect(results).toEqual([
      `oauthbearer: ${COUNT} messages`,
      `xoauth2: ${COUNT} messages`,
      "oauthbearer: auth",
    ]);
    const mechanisms = at.events.flatMap((e) =>
      e.type === "session-event" && e.event.type === "login-succeeded" ? [e.event.mechanism] : [],
    );
    expect(mechanisms).toEqual(["OAUTHBEARER", "XOAUTH2"]);
  }, 60_000);

  it("says so when the password is wrong, and stays on the sign-in form", async () => {
    const at = await rig();
    const page = await openPage(at);
    await signIn(page, "not the password");
    await expect.poll(() => page.locator("#status").innerText()).toMatch(/^The POP3 server says: /);
    expect(await page.locator("#status").getAttribute("class")).toBe("error");
    expect(await page.locator("#login").isVisible()).toBe(true);
    expect(await page.locator("#mail").isVisible()).toBe(false);
    await signIn(page);
    await expect.poll(() => page.locator("#mail").isVisible()).toBe(true);
  }, 60_000);

  it("shows the first rows before the last TOP is answered, and opens a row clicked meanwhile", async () => {
    const at = await rig();
    at.store.hold(40);
    const page = await openPage(at);
    await signIn(page);
    await until(() => at.store.holding(40), "the server to hold TOP 40");
    await expect.poll(() => page.locator(`#messages tbody tr`).count()).toBe(COUNT);
    await expect
      .poll(() =>
        row(page, COUNT - 20)
          .locator("button")
          .innerText(),
      )
      .toBe(`Subject ${COUNT - 20}`);
    // The reply to TOP 40 is held, so nothing older has headers yet.
    expect(await row(page, 39).getAttribute("class")).toContain("pending");
    expect(await row(page, 1).getAttribute("class")).toContain("pending");
    await row(page, COUNT - 4).click();
    await expect.poll(() => page.locator("#reader-empty").innerText()).toBe("Loading the message…");
    expect(await page.locator("#reader-title").innerText()).toBe(`Subject ${COUNT - 4}`);
    at.store.release();
    await expect
      .poll(() => page.locator("#reader-text").innerText())
      .toContain(`Hello from message ${COUNT - 4}.`);
    // The RETR went out before the list finished: loading went on after it.
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    const commands = at.commands();
    const retr = commands.indexOf("RETR");
    expect(retr).toBeGreaterThan(0);
    expect(commands.slice(retr).filter((keyword) => keyword === "TOP").length).toBeGreaterThan(0);
  }, 90_000);

  it("signs out while the list is still loading", async () => {
    const at = await rig();
    at.store.hold(40);
    const page = await openPage(at);
    await signIn(page);
    await until(() => at.store.holding(40), "the server to hold TOP 40");
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => page.locator("#status").innerText()).toBe("Signing out…");
    at.store.release();
    await expect.poll(() => page.locator("#status").innerText()).toBe("Signed out.");
    expect(await page.locator("#login").isVisible()).toBe(true);
    await until(() => at.events.at(-1)?.type === "connection-closed", "the session to end");
    expect(at.events.at(-1)).toMatchObject({ reason: "quit", user: "alice" });
    // QUIT came right after the TOPs already on the wire: the rest were never asked for.
    const commands = at.commands();
    expect(commands.at(-1)).toBe("QUIT");
    expect(commands.filter((keyword) => keyword === "TOP").length).toBeLessThan(COUNT);
  }, 90_000);

  it("reads a multipart message with an attachment, with the keyboard", async () => {
    const at = await rig();
    const page = await openPage(at);
    await signIn(page);
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    await row(page, COUNT).locator("button").focus();
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("#reader-title").innerText()).toBe(`Subject ${COUNT - 1}`);
    await expect
      .poll(() => page.locator("#reader-text").innerText())
      .toContain("Schöne Grüße, the plan is attached.");
    expect(await page.locator("#reader-headers").innerText()).toMatch(
      new RegExp(
        `From\\s+Sender ${COUNT - 1} <sender${COUNT - 1}@example\\.test>[\\s\\S]*To\\s+alice@example\\.test`,
      ),
    );
    // Focus stayed in the list: the keys go on working.
    await page.keyboard.press("j");
    await expect.poll(() => row(page, COUNT - 2).getAttribute("class")).toContain("current");
    await page.keyboard.press("k");
    await expect.poll(() => row(page, COUNT - 1).getAttribute("class")).toContain("current");
    const attachment = page.getByRole("link", { name: "plan.csv" });
    expect(await page.locator("#attachments").innerText()).toMatch(/plan\.csv text\/csv, \d+ B/);
    const [download] = await Promise.all([page.waitForEvent("download"), attachment.click()]);
    expect(download.suggestedFilename()).toBe("plan.csv");
    const saved = await download.path();
    expect(readFileSync(saved, "utf8")).toBe("day,task\r\n1,read mail\r\n");
    await expectAccessible(page);
    await screenshot(page, "webmail-reader-desktop");
  }, 90_000);

  it("renders HTML mail in a sandboxed frame under its own policy, remote images only after consent", async () => {
    const at = await rig();
    const page = await openPage(at);
    const policies = new Map<string, string>();
    page.on("response", (response) => {
      const path = new URL(response.url()).pathname + new URL(response.url()).search;
      policies.set(path, response.headers()["content-security-policy"] ?? "");
    });
    await page.reload();
    await signIn(page);
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    await row(page, COUNT - 2).click();
    const frame = page.frameLocator("#reader-frame");
    await expect.poll(() => frame.locator("h1").innerText()).toBe("Newsletter");
    expect(await frame.locator("h1").evaluate((h) => getComputedStyle(h).color)).toBe(
      "rgb(102, 51, 153)",
    );
    expect(
      await frame
        .locator('img[alt="dot"]')
        .evaluate((img) => (img as HTMLImageElement).naturalWidth),
    ).toBe(1);
    expect(await frame.locator("a").getAttribute("target")).toBe("_blank");
    const sandbox = await page.locator("#reader-frame").getAttribute("sandbox");
    expect(sandbox?.split(" ")).not.toContain("allow-same-origin");
    expect(policies.get("/")).toBe(PAGE_POLICY);
    expect(policies.get("/message-frame.html")).toBe(FRAME_POLICY);
    await expect.poll(() => page.locator("#remote-note").isVisible()).toBe(true);
    expect(pixelHits).toEqual([]);
    await screenshot(page, "webmail-html-desktop");
    await page.getByRole("button", { name: "Show remote images" }).click();
    await expect.poll(() => pixelHits).toEqual([`/pixel.png?m=${COUNT - 2}`]);
    expect(policies.get("/message-frame.html?images=remote")).toBe(FRAME_POLICY_REMOTE_IMAGES);
    expect(await page.locator("#remote-note").isVisible()).toBe(false);
    // The mail's own script never ran: nothing reached the page.
    expect(await page.evaluate(() => document.body.dataset.escaped)).toBeUndefined();
  }, 90_000);

  it("marks a message deleted, says POP3 deletes it at sign-out, and does so", async () => {
    const at = await rig();
    const page = await openPage(at);
    await signIn(page);
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    await row(page, 5).click();
    await expect
      .poll(() => page.locator("#reader-text").innerText())
      .toContain("Hello from message 5.");
    await page.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.locator("#delete-note").isVisible()).toBe(true);
    expect(await page.locator("#delete-text").innerText()).toBe(
      "1 message marked for deletion. POP3 deletes it when you sign out; closing the page instead deletes nothing.",
    );
    expect(await row(page, 5).getAttribute("class")).toContain("deleted");
    await row(page, 7).locator("button").focus();
    await page.keyboard.press("Delete");
    await expect.poll(() => row(page, 7).getAttribute("class")).toContain("deleted");
    await page.getByRole("button", { name: "Undo all" }).click();
    await expect.poll(() => page.locator("#delete-note").isVisible()).toBe(false);
    await row(page, 5).click();
    await page.getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => row(page, 5).getAttribute("class")).toContain("deleted");
    await expectAccessible(page);
    await screenshot(page, "webmail-delete-desktop");
    expect(at.store.memory.messages("alice")).toHaveLength(COUNT);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect
      .poll(() => page.locator("#status").innerText())
      .toBe("Signed out. The server deleted 1 message.");
    const left = at.store.memory
      .messages("alice")
      .map((bytes) => Buffer.from(bytes).toString("latin1"));
    expect(left).toHaveLength(COUNT - 1);
    expect(left.some((text) => text.includes("Subject: Subject 5\r\n"))).toBe(false);
    expect(at.commands().filter((keyword) => keyword === "DELE")).toHaveLength(3);
    expect(at.commands()).toContain("RSET");
  }, 90_000);

  it("keeps the session alive with NOOP while the page is open", async () => {
    const at = await rig();
    const page = await browser.newPage({ viewport: DESKTOP });
    pages.push(page);
    await page.clock.install();
    await page.goto(`${at.origin}/`);
    await expect.poll(() => page.locator("#server option").count()).toBe(1);
    await signIn(page);
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    expect(at.commands()).not.toContain("NOOP");
    await page.clock.fastForward("06:00");
    await until(() => at.commands().includes("NOOP"), "a NOOP");
  }, 90_000);

  it("shows one pane at a time on a phone", async () => {
    const at = await rig();
    const page = await openPage(at, PHONE);
    await screenshot(page, "webmail-sign-in-phone");
    await expectAccessible(page);
    await signIn(page);
    await expect.poll(() => filledRows(page), { timeout: 30_000 }).toBe(COUNT);
    expect(await page.locator("#list-pane").isVisible()).toBe(true);
    expect(await page.locator("#reader").isVisible()).toBe(false);
    // The subject is on screen and opens the message.
    const subject = row(page, COUNT).locator("button");
    const box = await subject.boundingBox();
    expect(box !== null && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
    await expectAccessible(page);
    await screenshot(page, "webmail-list-phone");
    await subject.click();
    await expect
      .poll(() => page.locator("#reader-text").innerText())
      .toContain(`Hello from message ${COUNT}.`);
    expect(await page.locator("#list-pane").isVisible()).toBe(false);
    await expectAccessible(page);
    await screenshot(page, "webmail-reader-phone");
    await page.getByRole("button", { name: "Inbox" }).click();
    expect(await page.locator("#list-pane").isVisible()).toBe(true);
    expect(await page.locator("#reader").isVisible()).toBe(false);
  }, 90_000);
});
