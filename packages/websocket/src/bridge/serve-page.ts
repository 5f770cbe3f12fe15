import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type * as http from "node:http";
import { fileURLToPath } from "node:url";
import type { ResolvedTarget } from "./bridge-options.ts";
import { requestPath } from "./upgrade-gate.ts";

/** The example web client's files, by URL path: name in `dist/page/` (or `dist/`) and type. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "page/index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "page/index.html", type: "text/html; charset=utf-8" },
  "/style.css": { file: "page/style.css", type: "text/css; charset=utf-8" },
  "/app.js": { file: "page/app.js", type: "text/javascript; charset=utf-8" },
  "/icon.svg": { file: "page/icon.svg", type: "image/svg+xml" },
  "/message-frame.html": { file: "page/message-frame.html", type: "text/html; charset=utf-8" },
  "/frame.js": { file: "page/frame.js", type: "text/javascript; charset=utf-8" },
  "/browser.js": { file: "browser.js", type: "text/javascript; charset=utf-8" },
};

/**
 * The page's policy: its own scripts, styles and images only, WebSockets back to this server,
 * and frames only from here (the message frame).
 */
export const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The message frame's policy: HTML mail may style itself inline and show `data:` images (its
 * own inline parts); only the frame's loader runs; nothing is fetched, so opening a message
 * tells its sender nothing. The page also loads the frame sandboxed, without
 * `allow-same-origin`.
 */
export const FRAME_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data:; " +
  "font-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/** The same, once the reader has allowed remote images for the message (`?images=remote`). */
export const FRAME_POLICY_REMOTE_IMAGES = FRAME_POLICY.replace(
  "img-src data:;",
  "img-src data: https: http:;",
);

const HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/**
 * The request handler of a bridge's own server: the webmail page, its scripts (the browser
 * bundle among them), the message frame and `/bridge.json` (the endpoint and the
 * allow-list's names and TLS modes, nothing else) when `servePage`; otherwise only a pointer
 * to the WebSocket endpoint. Every answer carries a Content-Security-Policy: the page's, or
 * on the message frame's route the frame's own (`FRAME_POLICY`).
 *
 * The files come from the package's `dist/` (built by tsup); running from the sources, as
 * the tests do, they come from the built `dist/` next to them.
 */
export function pageHandler(options: {
  readonly servePage: boolean;
  readonly path: string;
  readonly targets: readonly ResolvedTarget[];
}): http.RequestListener {
  const root = distRoot();
  const info = JSON.stringify({
    path: options.path,
    targets: options.targets.map((target) => ({ name: target.name, tls: target.tls })),
  });
  return (request, response) => {
    const path = requestPath(request);
    const policy =
      path !== "/message-frame.html"
        ? PAGE_POLICY
        : new URL(request.url ?? "/", "http://bridge.invalid").searchParams.get("images") ===
            "remote"
          ? FRAME_POLICY_REMOTE_IMAGES
          : FRAME_POLICY;
    const send = (status: number, type: string, body: string | Buffer): void => {
      response.writeHead(status, {
        ...HEADERS,
        "Content-Security-Policy": policy,
        "Content-Type": type,
      });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (path === options.path) {
      send(426, "text/plain; charset=utf-8", "This is a WebSocket endpoint.\n");
      return;
    }
    const file = FILES[path];
    if (!options.servePage || (file === undefined && path !== "/bridge.json")) {
      send(404, "text/plain; charset=utf-8", "Not found\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(405, "text/plain; charset=utf-8", "Method not allowed\n");
      return;
    }
    if (file === undefined) {
      send(200, "application/json", info);
      return;
    }
    readFile(new URL(file.file, root)).then(
      (body) => send(200, file.type, body),
      () => send(500, "text/plain; charset=utf-8", "The page is not built: run the build first\n"),
    );
  };
}

/** `dist/` of this package, from the built bundle or from the sources. */
function distRoot(): URL {
  const here = new URL("./", import.meta.url);
  const candidates = [here, new URL("../../dist/", import.meta.url)];
  return (
    candidates.find((candidate) =>
      existsSync(fileURLToPath(new URL("page/index.html", candidate))),
    ) ?? here
  );
}
