/**
 * Set-up shared by a whole test file: made in `beforeAll`, released in `afterAll` (vitest
 * runs `afterAll` hooks last-registered first, so later set-ups are released before the
 * ones they were built on).
 */
import { afterAll, beforeAll } from "vitest";
import { createTestPki, type TestPki } from "../test-pki/test-pki.ts";

/** How long a per-file set-up may take. */
const SETUP_TIMEOUT_MS = 120_000;

/**
 * Registers the hooks and returns a stand-in for the value, to be used as the value itself
 * inside tests and later hooks. Reading it before `make` has finished throws. `release`
 * runs only when `make` did.
 */
export function perFile<T extends object>(
  make: () => T | Promise<T>,
  release: (value: T) => unknown,
): T {
  let value: T | undefined;
  // Set-ups start real programs (openssl, servers); on a loaded machine they take far longer
  // than vitest's 10 s hook default, which is no failure of the code under test.
  beforeAll(async () => {
    value = await make();
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    if (value !== undefined) await release(value);
  });
  return new Proxy({} as T, {
    get: (_, key) => {
      if (value === undefined) throw new Error(`per-file set-up read before it was made`);
      return Reflect.get(value, key);
    },
  });
}

/** The test PKI (`createTestPki`) for a whole test file, removed after it. */
export function perFileTestPki(): TestPki {
  return perFile(createTestPki, (pki) => pki.cleanup());
}
