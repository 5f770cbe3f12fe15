import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  allWorkspaces,
  type Manifest,
  publishableWorkspaces,
  REPO_ROOT,
  readManifest,
} from "../src/workspaces.ts";

const root = readManifest(".");
const repositoryUrl = root.repository?.url ?? "";
/** `git+https://host/owner/name.git` -> `https://host/owner/name` */
const webUrl = repositoryUrl.replace(/^git\+/, "").replace(/\.git$/, "");
const workspaces = allWorkspaces();
const privateNames = new Set(
  workspaces.filter((w) => w.manifest.private === true).map((w) => w.manifest.name),
);
const versions = new Map(workspaces.map((w) => [w.manifest.name, w.manifest.version]));

/** What a user installs: the dependency fields that npm resolves on their machine. */
function runtimeDependencies(manifest: Manifest): [string, string][] {
  return [
    ...Object.entries(manifest.dependencies ?? {}),
    ...Object.entries(manifest.peerDependencies ?? {}),
    ...Object.entries(manifest.optionalDependencies ?? {}),
  ];
}

/** Whether `version` satisfies a `^x.y.z` or exact range, the only forms used here. */
function satisfies(version: string, range: string): boolean {
  const exact = /^\d+\.\d+\.\d+$/.test(range);
  if (exact) return version === range;
  const caret = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  if (caret === null) return false;
  const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
  const [, a, b, c] = caret.map(Number) as [number, number, number, number];
  if (major !== a) return false;
  if (a === 0) return minor === b && patch >= c;
  return minor > b || (minor === b && patch >= c);
}

it("the root names the repository once, for every package to point at", () => {
  expect(repositoryUrl).toMatch(/^git\+https:\/\/.+\.git$/);
});

it("finds the publishable packages (the libraries and both programs at least)", () => {
  const names = publishableWorkspaces().map((w) => w.manifest.name);
  expect(names).toEqual(
    expect.arrayContaining(["@apop/core", "@apop/node", "@apop/server", "@apop/cli"]),
  );
});

describe.each(publishableWorkspaces().map((w) => [w.manifest.name, w] as const))("%s", (_, w) => {
  const m = w.manifest;

  it("has complete metadata: description, keywords, license, links with its folder", () => {
    expect(m.description?.length).toBeGreaterThan(20);
    expect(m.keywords?.length).toBeGreaterThan(0);
    expect(m.license).toBe("MIT");
    expect(m.repository).toEqual({ type: "git", url: repositoryUrl, directory: w.dir });
    expect(m.homepage).toBe(`${webUrl}/tree/main/${w.dir}#readme`);
    expect(m.bugs).toEqual({ url: `${webUrl}/issues` });
    expect(m.publishConfig?.access).toBe("public");
    expect(m.type).toBe("module");
  });

  it("declares the runtime it needs (engines)", () => {
    const engines = m.engines ?? {};
    if ("deno" in engines) expect(engines.deno).toMatch(/^>=2/);
    else expect(engines.node).toBe(root.engines?.node);
  });

  it("ships dist only, with the LICENSE and README beside it", () => {
    expect(m.files).toEqual(["dist"]);
    expect(readFileSync(join(REPO_ROOT, w.dir, "LICENSE"), "utf8")).toBe(
      readFileSync(join(REPO_ROOT, "LICENSE"), "utf8"),
    );
    expect(existsSync(join(REPO_ROOT, w.dir, "README.md"))).toBe(true);
  });

  it("builds itself and its workspace dependencies before packing (prepack)", () => {
    expect(m.scripts?.prepack).toBe(
      `turbo run build --filter=${m.name}... --output-logs=errors-only >&2`,
    );
  });

  it("runs no install scripts on the user's machine", () => {
    for (const hook of ["preinstall", "install", "postinstall", "prepare"]) {
      expect(m.scripts?.[hook], hook).toBeUndefined();
    }
  });

  it("depends on its siblings by real version ranges, never on a private package", () => {
    for (const [name, range] of runtimeDependencies(m)) {
      expect(privateNames.has(name), `${name} is private`).toBe(false);
      expect(range, `${name}@${range}`).toMatch(/^\^?\d+\.\d+\.\d+$/);
      const sibling = versions.get(name);
      if (sibling !== undefined) {
        expect(satisfies(sibling, range), `${name}@${range} vs ${sibling}`).toBe(true);
      }
    }
  });

  it("keeps deno.json's version in step with package.json", () => {
    const denoJson = join(REPO_ROOT, w.dir, "deno.json");
    if (!existsSync(denoJson)) return;
    const deno = JSON.parse(readFileSync(denoJson, "utf8")) as { name?: string; version?: string };
    expect(deno).toMatchObject({ name: m.name, version: m.version });
  });
});

it("the changesets config keeps every publishable package in the one fixed version group", () => {
  const config = JSON.parse(readFileSync(join(REPO_ROOT, ".changeset/config.json"), "utf8")) as {
    fixed: string[][];
    access: string;
  };
  expect(config.access).toBe("public");
  const [group] = config.fixed;
  const patterns = (group ?? []).map((p) => new RegExp(`^${p.replace(/\*/g, ".*")}$`));
  for (const w of publishableWorkspaces()) {
    expect(
      patterns.some((p) => p.test(w.manifest.name)),
      w.manifest.name,
    ).toBe(true);
  }
});

it("the release check depends on every publishable package, so turbo builds them first", () => {
  const own = readManifest("tooling/release").devDependencies ?? {};
  for (const w of publishableWorkspaces()) expect(own[w.manifest.name], w.manifest.name).toBe("*");
});
