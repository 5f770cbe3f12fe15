// The README's config examples are the reference operators copy from: they must name every
// setting, parse as they stand, and show the defaults the server really has.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { serverConfigSchema } from "./server-config-schema.ts";
import { SETTINGS } from "./settings.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const section = readme.slice(
  readme.indexOf("## Config file"),
  readme.indexOf("\n## ", readme.indexOf("## Config file") + 1),
);
const [example, postgresExample] = [...section.matchAll(/```json\n([\s\S]*?)```/g)].map(
  (match) => JSON.parse(match[1] as string) as Record<string, unknown>,
);

/** Every dotted path to a value that is not itself an object (`limits.maxConnections`). */
function leafPaths(value: unknown, prefix = ""): Map<string, unknown> {
  const paths = new Map<string, unknown>();
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    paths.set(prefix, value);
    return paths;
  }
  for (const [key, inner] of Object.entries(value)) {
    for (const [path, leaf] of leafPaths(inner, prefix === "" ? key : `${prefix}.${key}`)) {
      paths.set(path, leaf);
    }
  }
  return paths;
}

/** Shown with a real-looking value rather than the default (off, or none). */
const NOT_DEFAULTS = new Set([
  "listen",
  "tlsListen",
  "users",
  "maildirRoot",
  "hostname",
  "proxyProtocol.trusted",
]);

describe("apps/server/README.md's config examples", () => {
  it("has the full example and the PostgreSQL variant", () => {
    expect(example).toBeDefined();
    expect(postgresExample).toBeDefined();
  });

  it("names every setting the server reads", () => {
    const shown = new Set([...leafPaths(example).keys(), ...leafPaths(postgresExample).keys()]);
    const missing = SETTINGS.map((setting) => setting.key).filter((key) => !shown.has(key));
    expect(missing).toEqual([]);
  });

  it("parses, with users from a file and from PostgreSQL", () => {
    expect(serverConfigSchema.safeParse(example).error?.issues).toBeUndefined();
    const { users: _users, ...withoutUsers } = example as Record<string, unknown>;
    const fromPostgres = { ...withoutUsers, ...postgresExample };
    expect(serverConfigSchema.safeParse(fromPostgres).error?.issues).toBeUndefined();
  });

  it("shows each default as the server has it", () => {
    const minimal = serverConfigSchema.parse({
      listen: ["127.0.0.1:110"],
      users: "/etc/apop/users",
      maildirRoot: "/var/mail",
    });
    const defaults = leafPaths(minimal);
    const shown = new Map([...leafPaths(example), ...leafPaths(postgresExample)]);
    const wrong = [...shown]
      .filter(([path]) => !NOT_DEFAULTS.has(path) && defaults.get(path) !== undefined)
      .filter(([path, value]) => JSON.stringify(defaults.get(path)) !== JSON.stringify(value))
      .map(
        ([path, value]) =>
          `${path}: shown ${JSON.stringify(value)}, default ${JSON.stringify(defaults.get(path))}`,
      );
    expect(wrong).toEqual([]);
    // The check above must have had something to compare.
    expect(
      [...shown.keys()].filter((path) => defaults.get(path) !== undefined).length,
    ).toBeGreaterThan(20);
  });
});
