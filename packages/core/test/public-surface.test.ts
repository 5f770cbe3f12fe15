/**
 * `@apop/core`'s main entry is the surface people hold (semver applies): at most 40 runtime
 * values. What the apop packages share besides lives in `@apop/core/internal`, outside semver.
 */
import { describe, expect, it } from "vitest";
import * as core from "../src/index.ts";
import * as internal from "../src/internal.ts";

describe("the public surface", () => {
  it("exports at most 40 runtime values from @apop/core", () => {
    expect(Object.keys(core).length).toBeLessThanOrEqual(40);
  });

  it("exports nothing from both entries: each value has one way in", () => {
    expect(Object.keys(internal).filter((name) => name in core)).toEqual([]);
  });

  it("keeps the sessions, drivers, codecs, errors and the store contract public", () => {
    for (const name of [
      "ServerSession",
      "ClientSession",
      "Pop3Client",
      "serveConnection",
      "ServerHost",
      "parseCommand",
      "parseStatusLine",
      "MultilineDecoder",
      "MultilineEncoder",
      "Pop3Error",
      "StoreError",
      "MemoryStore",
      "verifyProof",
      "DEFAULTS",
    ]) {
      expect(core, name).toHaveProperty(name);
    }
  });
});
