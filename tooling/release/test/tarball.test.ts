import { readFileSync } from "node:fs";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { describe, expect, inject, it } from "vitest";
import { run } from "../src/run.ts";
import {
  conditions,
  entryPoints,
  type Manifest,
  REPO_ROOT,
  readManifest,
} from "../src/workspaces.ts";

const packed = inject("packed");

/** Every file a manifest points at: exports targets, bins, main/module/types. */
function referencedFiles(
  manifest: Manifest & { main?: string; module?: string; types?: string },
): string[] {
  const targets: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === "string") targets.push(value);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  walk([manifest.main, manifest.module, manifest.types].filter((v) => v !== undefined));
  return targets.filter((t) => t !== "./package.json").map((t) => t.replace(/^\.\//, ""));
}

describe.each(packed.map((p) => [p.name, p] as const))("%s", (_, p) => {
  const manifest = readManifest(p.dir);

  it("holds LICENSE, README.md, package.json and dist/, and nothing else", () => {
    expect(p.files).toContain("LICENSE");
    expect(p.files).toContain("README.md");
    expect(p.files).toContain("package.json");
    const others = p.files.filter(
      (f) => !["LICENSE", "README.md", "package.json"].includes(f) && !f.startsWith("dist/"),
    );
    expect(others).toEqual([]);
    // Source maps would point at sources the tarball does not carry.
    expect(p.files.filter((f) => f.endsWith(".map"))).toEqual([]);
  });

  it("holds every file its package.json points at (exports, bin, types)", () => {
    for (const file of referencedFiles(manifest)) expect(p.files, file).toContain(file);
  });

  it("passes publint in strict mode", async () => {
    const tarball = readFileSync(p.tarball);
    const { messages, pkg } = await publint({
      pack: {
        tarball: tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength),
      },
      strict: true,
      level: "suggestion",
    });
    expect(messages.map((m) => formatMessage(m, pkg) ?? m.code)).toEqual([]);
  });

  // One attw run per tarball, its problems then read per entry: node10 resolution is
  // deprecated in TypeScript 6 (the "node16" profile), and an entry without a `require`
  // condition (the browser bundle) is ESM-only, so node16-from-CJS does not apply to it.
  it("has types that resolve the way the code does (@arethetypeswrong/cli)", async () => {
    const { stdout } = await run({
      command: "npx",
      args: ["attw", p.tarball, "--format", "json"],
      cwd: REPO_ROOT,
      allowFailure: true,
    });
    const report = JSON.parse(stdout) as {
      analysis: { types: unknown };
      problems?: Record<string, { entrypoint?: string; resolutionKind?: string }[]>;
    };
    if (!JSON.stringify(manifest.exports ?? {}).includes('"types"')) {
      // A program (bin only) or the Deno bundle: attw must agree that there are no types.
      expect(report.analysis.types).toBe(false);
      return;
    }
    const esmOnly = new Set(
      entryPoints(manifest).filter((e) => !conditions(manifest, e).includes("require")),
    );
    const problems = Object.values(report.problems ?? {})
      .flat()
      .filter((problem) => problem.resolutionKind !== "node10")
      .filter(
        (problem) =>
          !(problem.resolutionKind === "node16-cjs" && esmOnly.has(problem.entrypoint ?? "")),
      );
    expect(problems).toEqual([]);
  });
});
