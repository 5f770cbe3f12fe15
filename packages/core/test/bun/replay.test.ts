// Runs under Bun (`bun test`, which takes vitest's imports as its own): the BUILT @apop/core,
// loaded as Bun loads an npm package's ES module, replays the RFC transcripts, whole and split
// at every byte. Proves the core needs nothing Bun lacks (test/deno/ does the same for Deno).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as built from "../../dist/index.js";
import { parseTranscript, replayClient, replayServer } from "../helpers/transcript.ts";

// The helpers are typed against core's source; the built module has the same shape, but its
// classes are distinct types to the checker (private fields are nominal).
const core = built as unknown as Parameters<typeof replayServer>[0];
const folder = join(import.meta.dirname, "../transcripts");
const transcripts = readdirSync(folder)
  .filter((name) => name.endsWith(".txt"))
  .map((name) => parseTranscript(name, readFileSync(join(folder, name), "latin1")));

it("runs under Bun, not Node", () => {
  expect(process.versions.bun).toMatch(/^\d+\.\d+\.\d+/);
  expect(transcripts.length).toBeGreaterThanOrEqual(3);
});

describe.each(transcripts)("$name", (transcript) => {
  if (!transcript.clientOnly) {
    it("server replays it, whole and split at every byte", () => {
      expect(replayServer(core, transcript)).toEqual([]);
      const length = transcript.exchanges.reduce(
        (sum, e) => sum + (e.client === null ? 0 : e.client.length + 2),
        0,
      );
      for (let at = 1; at < length; at++) {
        expect(replayServer(core, transcript, at), `split at ${at}`).toEqual([]);
      }
    });
  }

  it("client replays it, whole and split at every byte", () => {
    expect(replayClient(core, transcript)).toEqual([]);
    for (let at = 1; at < 2000; at++) {
      expect(replayClient(core, transcript, at), `split at ${at}`).toEqual([]);
    }
  });
});
