import { defineConfig } from "vitest/config";
import { apopVitest } from "@apop/vitest-preset";

const preset = apopVitest({ testTimeout: 300_000 });

export default defineConfig({
  ...preset,
  test: {
    ...preset.test,
    // Every publishable package packed once, before any test file reads the tarballs.
    globalSetup: ["./src/global-setup.ts"],
    hookTimeout: 600_000,
  },
});
