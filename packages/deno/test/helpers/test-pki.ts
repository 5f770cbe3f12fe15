/**
 * The repo's one test PKI (tooling/test-pki), with a folder and an openssl runner of Deno's
 * own: Deno's node:os `tmpdir()` and node:child_process read the environment, and these tests
 * run without --allow-env so that @apop/deno is seen to need none.
 */
import {
  createTestPki as createSharedTestPki,
  type TestPki,
} from "../../../../tooling/test-pki/test-pki.ts";

export type { TestPki };

export function createTestPki(): TestPki {
  return createSharedTestPki({
    dir: Deno.makeTempDirSync({ prefix: "apop-deno-pki-" }),
    openssl: (args, cwd) => {
      const { success, stderr } = new Deno.Command("openssl", {
        args,
        cwd,
        stdout: "null",
        stderr: "piped",
      }).outputSync();
      if (!success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(stderr)}`);
    },
  });
}
