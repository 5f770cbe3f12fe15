import { decodeBase64 } from "../bytes/base64.ts";
import { MULTILINE_ENCODE_KERNEL_WASM } from "./multiline-encode-kernel-wasm.ts";

/** The part of the WebAssembly JavaScript API the kernel needs (ES2022's lib has none). */
export interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

/**
 * Octets the kernel takes per call: the Maildir store's chunk, so one call encodes one chunk.
 * Its memory holds a slice, then the slice's worst-case output (twice as long) and the 16
 * octets the kernel may store past it.
 */
export const KERNEL_SLICE_OCTETS = 256 * 1024;
const OUTPUT_AT = KERNEL_SLICE_OCTETS;
const MEMORY_OCTETS = OUTPUT_AT + 2 * KERNEL_SLICE_OCTETS + 16;

/**
 * The RETR encoding of `MultilineEncoder` in WebAssembly SIMD (`multiline-encode-kernel.wat`):
 * LF to CRLF and byte-stuffing, sixteen octets at a time, about four times faster than the
 * best JavaScript loop (measured on a 10 MiB message: 2.2 ms against 15). Moving a large
 * message is bound by this encoding (docs/performance.md).
 *
 * Where WebAssembly cannot be compiled (a runtime or content security policy that forbids
 * it, such as Cloudflare Workers), `load` gives null and the encoder keeps its JavaScript
 * loop, which is the specification: a test checks both give the same octets.
 */
export class MultilineEncodeKernel {
  /** The whole memory: it never grows, so the view stays valid. */
  readonly #memory: Uint8Array;
  readonly #encode: (input: number, length: number, output: number, last: number) => number;

  private constructor(exports: Record<string, unknown>) {
    this.#memory = new Uint8Array((exports.memory as { readonly buffer: ArrayBuffer }).buffer);
    if (this.#memory.length < MEMORY_OCTETS)
      throw new RangeError("the kernel's memory is too small");
    this.#encode = exports.encode as (
      input: number,
      length: number,
      output: number,
      last: number,
    ) => number;
  }

  /**
   * Compiles and starts the kernel, or gives null where this runtime has no WebAssembly or
   * refuses to compile it (or lacks SIMD, which fails validation).
   */
  static load(
    api: WebAssemblyApi | undefined = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly,
  ): MultilineEncodeKernel | null {
    if (api === undefined) return null;
    try {
      const bytes = decodeBase64(MULTILINE_ENCODE_KERNEL_WASM) as Uint8Array;
      const instance = new api.Instance(new api.Module(bytes));
      return new MultilineEncodeKernel(instance.exports);
    } catch {
      return null;
    }
  }

  /**
   * Encodes `slice` (at most `KERNEL_SLICE_OCTETS`), whose preceding octet is `last` (LF at
   * the start of a line or of the message). The result is a view of the kernel's memory,
   * valid until the next call: copy it out.
   */
  encode(slice: Uint8Array, last: number): Uint8Array {
    const memory = this.#memory;
    memory.set(slice, 0);
    const written = this.#encode(0, slice.length, OUTPUT_AT, last);
    return memory.subarray(OUTPUT_AT, OUTPUT_AT + written);
  }
}

let shared: MultilineEncodeKernel | null | undefined;

/** The one kernel of this realm, compiled on first use; null without WebAssembly. */
export function multilineEncodeKernel(): MultilineEncodeKernel | null {
  if (shared === undefined) shared = MultilineEncodeKernel.load();
  return shared;
}
