import { join } from "node:path";
import { run } from "./run.ts";
import { REPO_ROOT, type Workspace } from "./workspaces.ts";

/** A packed workspace: where it came from, the tarball, and the files npm put in it. */
export type Packed = {
  dir: string;
  name: string;
  version: string;
  tarball: string;
  files: string[];
};

/**
 * `npm pack` of one workspace into `destination`. `--ignore-scripts` skips the `prepack`
 * build because the caller has built everything already (turbo), and a second build here
 * would rewrite `dist/` under suites that are running from it; `prepack-builds.test.ts`
 * checks what `prepack` builds.
 */
export async function packWorkspace(options: {
  workspace: Workspace;
  destination: string;
}): Promise<Packed> {
  const { stdout } = await run({
    command: "npm",
    args: ["pack", "--json", "--ignore-scripts", "--pack-destination", options.destination],
    cwd: join(REPO_ROOT, options.workspace.dir),
  });
  const [result] = JSON.parse(stdout) as {
    name: string;
    version: string;
    filename: string;
    files: { path: string }[];
  }[];
  if (result === undefined)
    throw new Error(`npm pack printed nothing for ${options.workspace.dir}`);
  return {
    dir: options.workspace.dir,
    name: result.name,
    version: result.version,
    tarball: join(options.destination, result.filename),
    files: result.files.map((file) => file.path).sort(),
  };
}
