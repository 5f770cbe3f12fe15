import { defineConfig } from "tsup";

// The npm form of this package: Deno cannot run TypeScript from node_modules
// (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING), so `npm:@apop/deno` loads this bundle.
// JSR gets the TypeScript sources through deno.json, with their types.
export default defineConfig({
  entry: ["mod.ts"],
  format: ["esm"],
  clean: true,
  target: "es2022",
  platform: "neutral",
  external: ["@apop/core", /^node:/],
});
