import type { ViteUserConfig } from "vitest/config";

type CoverageOptions = {
  include: string[];
  exclude?: string[];
  thresholds?: { lines?: number };
};

/**
 * The shared vitest settings. Every package writes its results as JSON into
 * `.vitest-results/` so that `.ci/run` can count passes and failures across the repo
 * (CI does not read vitest's own summary line).
 */
export function apopVitest(options: { coverage?: CoverageOptions; testTimeout?: number } = {}): ViteUserConfig {
  const name = process.env.npm_package_name?.replace(/[@/]/g, "_") ?? "package";
  return {
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: options.testTimeout ?? 20_000,
      reporters: ["default", ["json", { outputFile: `.vitest-results/${name}.json` }]],
      ...(options.coverage
        ? {
            coverage: {
              provider: "v8" as const,
              include: options.coverage.include,
              exclude: options.coverage.exclude ?? [],
              thresholds: options.coverage.thresholds ?? {},
              reporter: ["text-summary"],
            },
          }
        : {}),
    },
  };
}
