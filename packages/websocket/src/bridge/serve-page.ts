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
  "/browser.js": { file: "browser.js", type: "text/javascript; charset=utf-8" },
};

const HEADERS = {
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/**
 * The request handler of a bridge's own server: the example page, its scripts (the browser
 * bundle among them) and `/bridge.json` (the endpoint and the allow-list's names and TLS modes, nothing else) when
 * `servePage`; otherwise only a pointer to the WebSocket endpoint.
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
    const send = (status: number, type: string, body: string | Buffer): void => {
      response.writeHead(status, { ...HEADERS, "Content-Type": type });
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
