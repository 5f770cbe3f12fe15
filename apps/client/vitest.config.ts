import { defineConfig } from "vitest/config";
import { apopVitest } from "@apop/vitest-preset";

const preset = apopVitest({ testTimeout: 60_000 });

export default defineConfig({
  ...preset,
  test: { ...preset.test, globalSetup: ["test/global-setup.ts"], hookTimeout: 60_000 },
});
