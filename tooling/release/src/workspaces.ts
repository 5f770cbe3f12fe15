import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The repository root (this file is tooling/release/src/workspaces.ts). */
export const REPO_ROOT = join(import.meta.dirname, "../../..");

/** The part of a package.json the release check reads. */
export type Manifest = {
  name: string;
  version: string;
  private?: boolean;
  description?: string;
  keywords?: string[];
  homepage?: string;
  bugs?: { url?: string };
  repository?: { type?: string; url?: string; directory?: string };
  license?: string;
  type?: string;
  bin?: Record<string, string>;
  exports?: Record<string, unknown>;
  files?: string[];
  engines?: Record<string, string>;
  publishConfig?: { access?: string };
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
};

/** One workspace: its folder relative to the root (`packages/core`) and its manifest. */
export type Workspace = { dir: string; manifest: Manifest };

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(REPO_ROOT, dir, "package.json"), "utf8")) as Manifest;
}

/**
 * Every workspace of the root package.json (`packages/*`, `apps/*`, `tooling/*`), in folder
 * order. Only `<group>/*` globs are used in this repository; anything else is refused so a
 * new pattern cannot silently drop packages from the check.
 */
export function allWorkspaces(): Workspace[] {
  const patterns = readManifest(".").workspaces ?? [];
  const found: Workspace[] = [];
  for (const pattern of patterns) {
    const match = /^([\w-]+)\/\*$/.exec(pattern);
    if (match?.[1] === undefined)
      throw new Error(`release check: unsupported workspace glob ${pattern}`);
    const group = match[1];
    for (const name of readdirSync(join(REPO_ROOT, group)).sort()) {
      const dir = `${group}/${name}`;
      if (existsSync(join(REPO_ROOT, dir, "package.json"))) {
        found.push({ dir, manifest: readManifest(dir) });
      }
    }
  }
  return found;
}

/** The workspaces that npm would publish: every one not marked `private`. */
export function publishableWorkspaces(): Workspace[] {
  return allWorkspaces().filter((workspace) => workspace.manifest.private !== true);
}

/** The entry points of an `exports` map, without `./package.json`. */
export function entryPoints(manifest: Manifest): string[] {
  return Object.keys(manifest.exports ?? {}).filter((key) => key !== "./package.json");
}

/** The import specifier of an entry point: `@apop/websocket/bridge` for `./bridge`. */
export function specifier(manifest: Manifest, entry: string): string {
  return entry === "." ? manifest.name : `${manifest.name}/${entry.slice(2)}`;
}

/** The conditions of one `exports` entry (`import`, `require`, `types`, `default`). */
export function conditions(manifest: Manifest, entry: string): string[] {
  const value = manifest.exports?.[entry];
  return typeof value === "object" && value !== null ? Object.keys(value) : ["default"];
}

/** Whether the entry carries its own types (a `types` condition at some level). */
export function hasTypes(manifest: Manifest, entry: string): boolean {
  return JSON.stringify(manifest.exports?.[entry] ?? null).includes('"types"');
}
