import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BufferedFileWriter } from "./buffered-file-writer.ts";

describe("BufferedFileWriter", () => {
  it("writes tiny, empty and large pieces in order, however many", () => {
    const dir = mkdtempSync(join(tmpdir(), "apop-writer-"));
    try {
      const path = join(dir, "file");
      const fd = openSync(path, "wx");
      const writer = new BufferedFileWriter(fd);
      const pieces: Uint8Array[] = [];
      // 3,000 one-octet pieces (more than one writev may take), an empty one, then large ones.
      for (let i = 0; i < 3000; i++) pieces.push(Uint8Array.of(0x41 + (i % 26)));
      pieces.push(new Uint8Array(0));
      for (let i = 0; i < 5; i++) pieces.push(new Uint8Array(50_000 + i).fill(0x30 + i));
      for (const piece of pieces) writer.write(piece);
      writer.flush();
      writer.flush();
      closeSync(fd);
      expect(Buffer.compare(readFileSync(path), Buffer.concat(pieces))).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
