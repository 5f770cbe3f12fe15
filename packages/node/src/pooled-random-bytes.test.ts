import { describe, expect, it } from "vitest";
import { pooledRandomBytes } from "./pooled-random-bytes.ts";

describe("pooledRandomBytes", () => {
  it("hands out copies of the length asked, never the same octets twice, across refills", () => {
    const seen = new Set<string>();
    // 16-octet draws across several 4 KiB refills, with odd lengths between them.
    for (let i = 0; i < 2000; i++) {
      const bytes = pooledRandomBytes(i % 7 === 0 ? 33 : 16);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(bytes.length).toBe(i % 7 === 0 ? 33 : 16);
      // A copy: its own buffer, not a view of the pool the next draw comes from.
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
      const hex = Buffer.from(bytes).toString("hex");
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
    }
  });

  it("gives draws larger than the pool, and empty ones", () => {
    expect(pooledRandomBytes(10_000).length).toBe(10_000);
    expect(pooledRandomBytes(0).length).toBe(0);
  });

  it("refuses a negative or fractional length, as crypto.randomBytes does", () => {
    expect(() => pooledRandomBytes(-1)).toThrow(RangeError);
    expect(() => pooledRandomBytes(1.5)).toThrow(RangeError);
  });
});
