import { apopVitest } from "@apop/vitest-preset";
import { configDefaults, defineConfig } from "vitest/config";

const preset = apopVitest({
  coverage: {
    include: ["src/**/*.ts"],
    exclude: ["src/**/*.test.ts", "src/index.ts"],
    thresholds: { lines: 95 },
  },
});

export default defineConfig({
  ...preset,
  // test/deno/ and test/bun/ run under `deno test` and `bun test` against the built package
  // (the `test` script); vitest on Node cannot load the first (it uses the `Deno` global) and
  // must not take the second for its own.
  test: { ...preset.test, exclude: [...configDefaults.exclude, "test/deno/**", "test/bun/**"] },
});
