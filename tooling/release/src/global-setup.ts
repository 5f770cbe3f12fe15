import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { type Packed, packWorkspace } from "./pack-workspace.ts";
import { publishableWorkspaces } from "./workspaces.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Every publishable workspace, packed once into a temporary folder. */
    packed: Packed[];
  }
}

/**
 * Packs every publishable workspace once (turbo has built them: this package's `test` task
 * depends on their `build`). The tarballs live in a temporary folder outside the repository
 * and are removed at the end.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const packDir = mkdtempSync(join(tmpdir(), "apop-release-packs-"));
  const packed: Packed[] = [];
  for (const workspace of publishableWorkspaces()) {
    packed.push(await packWorkspace({ workspace, destination: packDir }));
  }
  project.provide("packed", packed);
  return () => rmSync(packDir, { recursive: true, force: true });
}
