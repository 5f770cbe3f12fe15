import type { Plugin } from "esbuild";
import { defineConfig } from "tsup";

// tsup 8 hands `baseUrl` to the d.ts compiler; TypeScript 6 rejects that unless told.
const dts = { compilerOptions: { ignoreDeprecations: "6.0" } };

/** The page's script loads the browser bundle the bridge serves next to it, not a copy. */
const useBrowserBundle: Plugin = {
  name: "use-browser-bundle",
  setup(build) {
    build.onResolve({ filter: /\/browser\/index\.ts$/ }, () => ({
      path: "./browser.js",
      external: true,
    }));
  },
};

export default defineConfig([
  // ./bridge: the Node side (bridge and direct listener), ESM + CJS.
  {
    entry: { bridge: "src/bridge/index.ts" },
    format: ["esm", "cjs"],
    dts,
    target: "node20",
    platform: "node",
    // serve-page.ts finds the page with import.meta.url, in the CJS build too.
    shims: true,
  },
  // ./browser: one self-contained ES module, core inside, no Node APIs.
  {
    entry: { browser: "src/browser/index.ts" },
    format: ["esm"],
    dts,
    target: "es2022",
    platform: "browser",
    noExternal: [/.*/],
  },
  // The webmail page: index.html, style.css and the message frame copied; app.js built
  // against ./browser.js with postal-mime inside; frame.js, the frame's loader, on its own.
  {
    entry: { app: "src/page/app.ts", frame: "src/page/frame.ts" },
    outDir: "dist/page",
    format: ["esm"],
    target: "es2022",
    platform: "browser",
    publicDir: "src/page/public",
    noExternal: ["postal-mime"],
    esbuildPlugins: [useBrowserBundle],
  },
]);
