import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// Core is I/O-free (docs/design.md). Biome's lint rules ban these too; this test keeps the rule
// even if someone loosens the lint configuration.
const BANNED = [
  /from\s+["']node:/,
  /require\(\s*["']node:/,
  /from\s+["'](fs|net|tls|crypto|os|path|child_process|stream|http|https|dns|timers|buffer|process)["']/,
  /\bBuffer\b/,
  /\bDate\.now\b|\bnew Date\b/,
  /\bMath\.random\b/,
  /\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b/,
  /\bprocess\./,
  /\bDeno\./,
  /\b(window|document)\./,
  /\bcrypto\./,
  /\bTextEncoder\b|\bTextDecoder\b/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("core purity", () => {
  const src = join(import.meta.dirname, "../src");
  it("no non-test file in src reaches the world (node:*, Buffer, clock, timers, randomness, Deno, DOM)", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(src)) {
      const lines = readFileSync(file, "utf8").split("\n");
      lines.forEach((line, index) => {
        const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
        if (BANNED.some((pattern) => pattern.test(code)))
          offenders.push(`${relative(src, file)}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it("the check itself catches a planted import", () => {
    expect(BANNED.some((pattern) => pattern.test('import { readFile } from "node:fs";'))).toBe(
      true,
    );
    expect(BANNED.some((pattern) => pattern.test("const t = Date.now();"))).toBe(true);
  });
});
