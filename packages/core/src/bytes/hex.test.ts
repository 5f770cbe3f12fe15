import { Buffer } from "node:buffer";
import fc from "fast-check";
import { expect, it } from "vitest";
import { toHex } from "./hex.ts";

it("writes two lower-case digits per byte", () => {
  expect(toHex(new Uint8Array([0, 1, 0x0f, 0x10, 0xab, 0xff]))).toBe("00010f10abff");
  expect(toHex(new Uint8Array(0))).toBe("");
});

it("matches Buffer's hex on random bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
      expect(toHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
    }),
    { seed: 7, numRuns: 300 },
  );
});

it("matches Buffer's hex past one chunk of its work", () => {
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 131) & 0xff);
  expect(toHex(bytes)).toBe(Buffer.from(bytes).toString("hex"));
});
