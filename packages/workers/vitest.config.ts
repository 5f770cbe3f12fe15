import { apopVitest } from "@apop/vitest-preset";
import { defineConfig } from "vitest/config";

const preset = apopVitest({ testTimeout: 60_000 });

export default defineConfig({
  ...preset,
  // Setting up bundles the Worker and starts workerd: a guard against a hang, not a speed test.
  test: { ...preset.test, hookTimeout: 120_000 },
});
