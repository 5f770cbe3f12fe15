import { apopVitest } from "@apop/vitest-preset";
import { configDefaults, defineConfig } from "vitest/config";

const preset = apopVitest();

// test/bun/ holds what only the Bun run checks (the `test` script runs everything again under
// `bun test`); vitest on Node must not take it for its own.
export default defineConfig({
  ...preset,
  test: { ...preset.test, exclude: [...configDefaults.exclude, "test/bun/**"] },
});
