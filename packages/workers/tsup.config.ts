import { defineConfig } from "tsup";

// ES modules only: a Worker is an ES module, and `cloudflare:sockets` exists only inside the
// Workers runtime, so it stays an import for the runtime (or wrangler's bundler) to resolve.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  // tsup 8 hands `baseUrl` to the d.ts compiler; TypeScript 6 rejects that unless told.
  dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
  clean: true,
  target: "es2022",
  platform: "neutral",
  external: ["@apop/core", "cloudflare:sockets"],
});
