import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bytes, latin1 } from "../../test/helpers/octets.ts";
import { KERNEL_SLICE_OCTETS, MultilineEncodeKernel } from "./multiline-encode-kernel.ts";
import { MultilineEncoder } from "./multiline-encoder.ts";

const LF = 0x0a;

/** `text` padded with "x" so that `text` starts at `at` of a message of `size` octets. */
function placed(text: string, at: number, size: number): Uint8Array {
  const message = new Uint8Array(size).fill(0x78);
  message.set(bytes(text), at);
  return message;
}

describe("MultilineEncodeKernel", () => {
  it("is the assembly of multiline-encode-kernel.wat (npm run wasm rewrites it)", () => {
    const script = join(import.meta.dirname, "../../scripts/assemble-wasm.mjs");
    expect(() =>
      execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" }),
    ).not.toThrow();
  });

  it("loads on this runtime", () => {
    expect(MultilineEncodeKernel.load()).not.toBeNull();
  });

  it("is null where WebAssembly may not be compiled", () => {
    // What Cloudflare Workers (and a page without 'wasm-unsafe-eval') answer.
    const refusing = {
      Module: class {
        constructor() {
          throw new Error("Wasm code generation disallowed by embedder");
        }
      },
      Instance: class {
        readonly exports = {};
      },
    };
    expect(MultilineEncodeKernel.load(refusing)).toBeNull();
  });

  it("applies both rules with the octet before the slice", () => {
    const kernel = MultilineEncodeKernel.load() as MultilineEncodeKernel;
    const run = (text: string, last: number) => latin1(kernel.encode(bytes(text), last));
    expect(run(".a\n.b\r\nc\n", LF)).toBe("..a\r\n..b\r\nc\r\n");
    expect(run(".a\n", 0x78)).toBe(".a\r\n");
    expect(run("\n", 0x0d)).toBe("\n");
    expect(run("\n", LF)).toBe("\r\n");
    expect(run(`${"y".repeat(40)}\n.${"z".repeat(40)}\r\n`, LF)).toBe(
      `${"y".repeat(40)}\r\n..${"z".repeat(40)}\r\n`,
    );
  });

  it("carries CR, LF and a line-start dot across its 256 KiB slices", () => {
    const size = KERNEL_SLICE_OCTETS * 2 + 100;
    for (const [text, wire] of [
      ["\r\n", "\r\n"],
      ["\n.", "\r\n.."],
      ["\n\n", "\r\n\r\n"],
      [".\n", "\r\n"], // the dot ends slice one mid-line, so it is data
    ] as const) {
      for (const at of [KERNEL_SLICE_OCTETS - 1, 2 * KERNEL_SLICE_OCTETS - 1]) {
        const encoder = new MultilineEncoder();
        const out = latin1(encoder.encode(placed(text, at, size)), encoder.end());
        const x = (n: number) => "x".repeat(n);
        expect(out).toBe(`${x(at)}${text === ".\n" ? "." : ""}${wire}${x(size - at - 2)}\r\n.\r\n`);
      }
    }
  });
});
