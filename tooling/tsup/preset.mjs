/**
 * The tsup settings every package builds with. Plain JavaScript with JSDoc types, so tsup's
 * config loader (which leaves bare imports external) can import it by name on Node 20; its
 * `build` checks the types and writes the declarations (`dist/preset.d.mts`).
 *
 * @typedef {import("tsup").Options} Options
 */

/**
 * A published library: ESM + CJS with `.d.ts`/`.d.cts`, for the `exports` map every
 * `@apop/*` package uses. `neutral` for core (no runtime assumed), `node` for the adapters.
 *
 * @param {{ platform: "neutral" | "node"; entry?: Options["entry"] }} options
 * @returns {Options}
 */
export function libraryBuild(options) {
  return {
    entry: options.entry ?? ["src/index.ts"],
    format: ["esm", "cjs"],
    // tsup 8 hands `baseUrl` to the d.ts compiler; TypeScript 6 rejects that unless told.
    dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
    clean: true,
    target: options.platform === "node" ? "node20" : "es2022",
    platform: options.platform,
  };
}

/**
 * A command-line program: one ESM file with a shebang.
 *
 * @returns {Options}
 */
export function programBuild() {
  return {
    entry: ["src/main.ts"],
    format: ["esm"],
    clean: true,
    target: "node20",
    platform: "node",
    banner: { js: "#!/usr/bin/env node" },
  };
}
