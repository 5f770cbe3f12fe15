import { mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { createTestPki } from "../../test-pki/test-pki.ts";
import { checkPeers } from "./peers.ts";
import { checkPrograms } from "./programs.ts";
import { makeTempDir, removeTempDir } from "./temp-dir.ts";

/** The run's TLS files (PEM paths), all inside the run's temp folder. */
export interface Certificates {
  /** The test CA that every client is told to trust, and nothing else. */
  readonly ca: string;
  /** The server certificate: localhost, 127.0.0.1 and ::1, signed by the CA. */
  readonly cert: string;
  readonly key: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    certificates: Certificates;
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
  // The shared test PKI, in the run's folder: mode 0755, so peers that drop privileges reach it.
  const pki = createTestPki({ dir: runDir });
  project.provide("certificates", { ca: pki.caFile, cert: pki.certFile, key: pki.keyFile });
  return async () => {
    await removeTempDir(runDir);
  };
}
