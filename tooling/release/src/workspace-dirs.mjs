// The workspace folders of a repository (`packages/core`, ...), from its root package.json's
// `<group>/*` patterns, for the release scripts that run before anything is built.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** This repository's root (this file is tooling/release/src/workspace-dirs.mjs). */
export const REPO_ROOT = join(import.meta.dirname, "../../..");

/**
 * Every workspace folder under `root` that has a package.json, as `group/name`, sorted.
 * @param {string} root
 * @returns {string[]}
 */
export function workspaceDirs(root) {
  const { workspaces = [] } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  return workspaces.flatMap((/** @type {string} */ pattern) => {
    const group = pattern.replace(/\/\*$/, "");
    if (!existsSync(join(root, group))) return [];
    return readdirSync(join(root, group))
      .sort()
      .map((name) => `${group}/${name}`)
      .filter((dir) => existsSync(join(root, dir, "package.json")));
  });
}

/**
 * The workspaces that also publish to JSR: a deno.json with a `name`.
 * @param {string} root
 * @returns {string[]}
 */
export function jsrDirs(root) {
  return workspaceDirs(root).filter((dir) => {
    const path = join(root, dir, "deno.json");
    return existsSync(path) && JSON.parse(readFileSync(path, "utf8")).name !== undefined;
  });
}
