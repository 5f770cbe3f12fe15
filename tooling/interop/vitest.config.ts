import { defineConfig } from "vitest/config";
import { apopVitest } from "@apop/vitest-preset";

const preset = apopVitest({ testTimeout: 120_000 });

export default defineConfig({
  ...preset,
  test: {
    ...preset.test,
    // Peers present, programs built, certificates made: once, before any test file.
    globalSetup: ["./src/global-setup.ts"],
    hookTimeout: 120_000,
  },
});
