// The READMEs state defaults; core defines them. A README that disagrees with core fails here.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, DEFAULTS } from "../src/index.ts";

const root = join(import.meta.dirname, "../../..");
const read = (file: string): string => readFileSync(join(root, file), "utf8");

/** Every default core defines, by the name options use, in ms or octets. */
const CORE: Readonly<Record<string, number>> = { ...DEFAULT_LIMITS, ...DEFAULTS };

/** `name` (value), as the package READMEs list options: 2000, 30 s, 10 min, 64 KiB. */
function statedDefaults(text: string): [string, number][] {
  const found: [string, number][] = [];
  const pattern = /`(\w+)\??` \((\d[\d_,.]*)\s*(ms|s|min|KiB|MiB)?\)/g;
  for (const match of text.matchAll(pattern)) {
    const [, name, number, unit] = match as unknown as [string, string, string, string?];
    const value = Number(number.replaceAll(/[_,]/g, ""));
    const scale = { ms: 1, s: 1000, min: 60_000, KiB: 1024, MiB: 1024 * 1024 }[unit ?? "ms"] ?? 1;
    found.push([name, value * scale]);
  }
  return found;
}

describe("the defaults the READMEs state are core's", () => {
  it.each(["packages/node/README.md", "packages/deno/README.md", "packages/core/README.md"])(
    "%s",
    (file) => {
      for (const [name, value] of statedDefaults(read(file))) {
        if (name in CORE) expect(value, `${file}: ${name}`).toBe(CORE[name]);
      }
    },
  );

  it("apps/server/README.md: the config file's limits are core's, in seconds", () => {
    const text = read("apps/server/README.md");
    const json = /## Config file[^\n]*\n+```json\n([\s\S]*?)```/.exec(text)?.[1];
    expect(json, "the config file example").toBeDefined();
    const config = JSON.parse(json as string) as {
      limits: Record<string, number>;
      shutdownGraceSeconds: number;
    };
    expect(config.limits).toEqual({
      idleTimeoutSeconds: DEFAULT_LIMITS.idleTimeoutMs / 1000,
      authorizationTimeoutSeconds: DEFAULT_LIMITS.authorizationTimeoutMs / 1000,
      loginDeadlineSeconds: DEFAULT_LIMITS.loginDeadlineMs / 1000,
      maxConnections: DEFAULTS.maxConnections,
      maxConnectionsPerAddress: DEFAULTS.maxConnectionsPerAddress,
      maxPreLoginConnections: DEFAULTS.maxPreLoginConnections,
      ipv6PrefixLength: DEFAULTS.ipv6PrefixLength,
      authFailureDelaySeconds: DEFAULTS.authFailureDelayMs / 1000,
      loginDelaySeconds: DEFAULTS.loginDelay,
      authFailures: DEFAULT_LIMITS.authFailures,
      badCommands: DEFAULT_LIMITS.badCommands,
    });
    expect(config.shutdownGraceSeconds).toBe(DEFAULTS.shutdownGraceMs / 1000);
  });

  it("finds the defaults it checks (the pattern still matches the READMEs)", () => {
    const names = statedDefaults(read("packages/node/README.md")).map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(["authFailureDelayMs", "maxConnections"]));
  });
});
