import type { Options } from "tsup";

/**
 * A published library: ESM + CJS with `.d.ts`/`.d.cts`, for the `exports` map every
 * `@apop/*` package uses. `neutral` for core (no runtime assumed), `node` for the adapters.
 */
export function libraryBuild(options: { platform: "neutral" | "node"; entry?: Options["entry"] }): Options {
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

/** A command-line program: one ESM file with a shebang. */
export function programBuild(): Options {
  return {
    entry: ["src/main.ts"],
    format: ["esm"],
    clean: true,
    target: "node20",
    platform: "node",
    banner: { js: "#!/usr/bin/env node" },
  };
}
