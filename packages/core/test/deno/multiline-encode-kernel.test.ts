// Runs under Deno (`deno test`): the WebAssembly kernel of RETR's encoding compiles here, and
// the built encoder gives the same octets through it (large chunks) as through its JavaScript
// loop (small chunks).
import { deepStrictEqual, notStrictEqual } from "node:assert";
import * as built from "../../dist/index.js";
import { MultilineEncodeKernel } from "../../src/grammar/multiline-encode-kernel.ts";
import { kernelSample, wireOf } from "../helpers/kernel-sample.ts";

Deno.test("the multi-line encoding kernel loads under Deno", () => {
  notStrictEqual(MultilineEncodeKernel.load(), null);
});

Deno.test("RETR encodes the same in large chunks (kernel) as in small ones", () => {
  const message = kernelSample();
  deepStrictEqual(wireOf(built, message, 256 * 1024), wireOf(built, message, 1000));
});
