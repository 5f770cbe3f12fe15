/**
 * The shared vitest settings. Plain JavaScript with JSDoc types, so vitest's config loader
 * (which leaves bare imports external) can import it by name on Node 20; its `build` checks
 * the types and writes the declarations (`dist/preset.d.mts`).
 *
 * @typedef {import("vitest/config").ViteUserConfig} ViteUserConfig
 * @typedef {{ include: string[]; exclude?: string[]; thresholds?: { lines?: number } }} CoverageOptions
 */

/**
 * Every package writes its results as JSON into `.vitest-results/` so that `.ci/run` can
 * count passes, failures and skips across the repo (CI does not read vitest's own summary
 * line).
 *
 * @param {{ coverage?: CoverageOptions; testTimeout?: number }} [options]
 * @returns {ViteUserConfig}
 */
export function apopVitest(options = {}) {
  const name = process.env.npm_package_name?.replace(/[@/]/g, "_") ?? "package";
  return {
    test: {
      include: ["src/**/*.test.ts", "test/**/*.test.ts"],
      testTimeout: options.testTimeout ?? 20_000,
      reporters: ["default", ["json", { outputFile: `.vitest-results/${name}.json` }]],
      ...(options.coverage
        ? {
            coverage: {
              provider: /** @type {const} */ ("v8"),
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
