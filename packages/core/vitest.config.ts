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
  // test/deno/ runs under `deno test` against the built package (test/deno/run-deno.mjs);
  // vitest on Node cannot load it (it uses the `Deno` global).
  test: { ...preset.test, exclude: [...configDefaults.exclude, "test/deno/**"] },
});
