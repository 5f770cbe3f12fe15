import { defineConfig } from "vitest/config";
import { apopVitest } from "../../tooling/vitest/preset.ts";

export default defineConfig(
  apopVitest({
    coverage: {
      include: ["src/**/*.ts"],
      exclude: ["src/**/*.test.ts", "src/index.ts"],
      thresholds: { lines: 95 },
    },
  }),
);
