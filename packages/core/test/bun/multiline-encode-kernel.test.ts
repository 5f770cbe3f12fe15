// Runs under Bun (`bun test`, which takes vitest's imports as its own): the WebAssembly kernel
// of RETR's encoding compiles here, and the built encoder gives the same octets through it
// (large chunks) as through its JavaScript loop (small chunks). test/deno/ does the same.
import { expect, it } from "vitest";
import * as built from "../../dist/index.js";
import { MultilineEncodeKernel } from "../../src/grammar/multiline-encode-kernel.ts";
import { kernelSample, wireOf } from "../helpers/kernel-sample.ts";

it("the multi-line encoding kernel loads under Bun", () => {
  expect(MultilineEncodeKernel.load()).not.toBeNull();
});

it("RETR encodes the same in large chunks (kernel) as in small ones", () => {
  const message = kernelSample();
  expect(wireOf(built, message, 256 * 1024)).toEqual(wireOf(built, message, 1000));
});
