import { libraryBuild } from "@apop/tsup-preset";
import { defineConfig } from "tsup";

// @noble/hashes (SHA-256, HMAC, PBKDF2 for SCRAM) is bundled: core's published package keeps
// no dependencies, and its CJS build works although @noble/hashes 2.x ships ESM only.
export default defineConfig({
  ...libraryBuild({ platform: "neutral", entry: ["src/index.ts", "src/internal.ts"] }),
  noExternal: ["@noble/hashes"],
});
