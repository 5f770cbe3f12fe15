import { mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { makeCertificates } from "./make-certificates.ts";
import { checkPeers } from "./peers.ts";
import { checkPrograms } from "./programs.ts";
import { makeTempDir, removeTempDir } from "./temp-dir.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's CA, server certificate and key (PEM paths). */
    certificates: { ca: string; cert: string; key: string };
  }
}

/**
 * When setup fails, no test runs and vitest's JSON report counts nothing; CI counts results
 * from `.vitest-results/` (tooling/ci/count-results.mjs). So a failed setup leaves this
 * report of one failed check, and a good setup removes it.
 */
const SETUP_REPORT = fileURLToPath(
  new URL("../.vitest-results/interop-setup.json", import.meta.url),
);

let runDir: string | undefined;

/**
 * Before any test: every peer must be installed (else one line naming `npm run setup`, and
 * the run stops at once: a missing peer is a failure, never a skip), both programs built;
 * the versions are printed from the tools themselves; the run's certificates are made.
 * After the run: the certificates' folder goes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const versions = await checkPeers();
    checkPrograms();
    for (const { name, version } of versions) console.log(`interop: peer ${name}: ${version}`);
  } catch (error) {
    await mkdir(fileURLToPath(new URL("../.vitest-results/", import.meta.url)), {
      recursive: true,
    });
    const message = (error as Error).message;
    await writeFile(
      SETUP_REPORT,
      JSON.stringify({ numPassedTests: 0, numFailedTests: 1, success: false, message }),
    );
    console.error(message);
    throw error;
  }
  await rm(SETUP_REPORT, { force: true });
  runDir = await makeTempDir("run");
  project.provide("certificates", await makeCertificates(runDir));
  return async () => {
    await removeTempDir(runDir);
  };
}
