/**
 * npm run bench:webmail: how soon the webmail page is usable with 300 messages, in Chromium,
 * through the bridge to an @apop/node server, on loopback and behind a TCP proxy that adds
 * 50 ms to every round trip (25 ms each way). Each case also runs with PIPELINING hidden
 * from the page (the proxy renames the capability), which is how the page behaves against a
 * server without it: one TOP per round trip.
 *
 * Figures: sign-in (click to the list's rows being there), first screenful (the newest 20
 * rows have From, Subject and Date), and everything (all 300). Needs the build (the script
 * runs it first) and Debian's Chromium.
 */
import * as net from "node:net";
import { MemoryStore } from "@apop/core";
import { createPop3Server } from "@apop/node";
import { createBridge } from "@apop/websocket/bridge";
import { chromium } from "playwright-core";

const COUNT = 300;
const SCREENFUL = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PASSWORD = "bench-password";

function message(n) {
  const body = `Hello, this is message ${n}.\r\n`.repeat(40);
  return new TextEncoder().encode(
    `From: Sender ${n} <sender${n}@example.test>\r\nTo: reader@example.test\r\n` +
      `Subject: Message number ${n}\r\nDate: ${new Date(Date.UTC(2026, 0, 1, 0, n)).toUTCString()}\r\n` +
      `Message-ID: <${n}@bench.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

/**
 * A TCP proxy that delays each chunk by `oneWayMs` in both directions, keeping order, and
 * optionally hides PIPELINING in the server's CAPA reply.
 */
async function startProxy({ target, oneWayMs, hidePipelining }) {
  const server = net.createServer((client) => {
    const upstream = net.connect(target, "127.0.0.1");
    const relay = (from, to, rewrite) => {
      from.on("data", (chunk) => {
        const data = rewrite
          ? Buffer.from(
              chunk.toString("latin1").replace("\r\nPIPELINING\r\n", "\r\nX-NO-PIPE\r\n"),
              "latin1",
            )
          : chunk;
        if (oneWayMs === 0) to.write(data);
        else setTimeout(() => to.write(data), oneWayMs);
      });
      from.on("end", () => setTimeout(() => to.end(), oneWayMs));
      from.on("error", () => to.destroy());
    };
    relay(client, upstream, false);
    relay(upstream, client, hidePipelining);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function measure({ browser, origin }) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => document.querySelectorAll("#server option").length === 1);
  await page.getByLabel("User name").fill("reader");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Login method").selectOption("apop");
  const filled = (count) =>
    page.waitForFunction(
      (n) => document.querySelectorAll("#messages tbody tr:not(.pending)").length >= n,
      count,
      { polling: 5, timeout: 120_000 },
    );
  const start = performance.now();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForFunction(
    () => document.querySelectorAll("#messages tbody tr").length > 0,
    null,
    {
      polling: 5,
      timeout: 60_000,
    },
  );
  const listed = performance.now() - start;
  await filled(SCREENFUL);
  const screenful = performance.now() - start;
  await filled(COUNT);
  const all = performance.now() - start;
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForFunction(
    () => document.getElementById("status")?.textContent === "Signed out.",
  );
  await page.close();
  return { listed, screenful, all };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const store = new MemoryStore({
  mailboxes: { reader: Array.from({ length: COUNT }, (_, i) => message(i + 1)) },
});
const server = createPop3Server({
  store,
  authenticator: {
    lookup: (user) => (user === "reader" ? { kind: "clear", secret: PASSWORD } : null),
  },
  serverName: "bench.test",
  authFailureDelayMs: 0,
});
const { port: pop3Port } = await server.listen({ host: "127.0.0.1", port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
});
const rows = [];
try {
  for (const oneWayMs of [0, 25]) {
    for (const hidePipelining of [false, true]) {
      const proxy = await startProxy({ target: pop3Port, oneWayMs, hidePipelining });
      let origin = "";
      const bridge = await createBridge({
        port: 0,
        host: "127.0.0.1",
        targets: [{ name: "bench", host: "127.0.0.1", port: proxy.port, tls: "none" }],
        allowedOrigins: (candidate) => candidate === origin,
        servePage: true,
      });
      origin = `http://127.0.0.1:${bridge.address.port}`;
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await measure({ browser, origin }));
      await bridge.close();
      await proxy.close();
      rows.push({
        path: oneWayMs === 0 ? "loopback" : `+${oneWayMs * 2} ms round trip`,
        top: hidePipelining ? "one at a time" : "pipelined",
        "sign-in to rows (ms)": Math.round(median(runs.map((r) => r.listed))),
        "first 20 rows (ms)": Math.round(median(runs.map((r) => r.screenful))),
        "all 300 rows (ms)": Math.round(median(runs.map((r) => r.all))),
      });
    }
  }
} finally {
  await browser.close();
  await server.close({ graceMs: 0 });
}
console.log(
  `webmail time-to-usable, ${COUNT} messages, median of ${RUNS} runs (Chromium, through the bridge):`,
);
console.table(rows);
