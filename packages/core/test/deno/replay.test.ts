// Runs under Deno (`deno test`): the BUILT @apop/core, loaded as Deno loads an npm package's
// ES module, replays the RFC transcripts, whole and split at every byte. Proves the core
// needs nothing from Node.
import { deepStrictEqual } from "node:assert";
import * as built from "../../dist/index.js";
import { parseTranscript, replayClient, replayServer } from "../helpers/transcript.ts";

// The helpers are typed against core's source; the built module has the same shape, but its
// classes are distinct types to the checker (private fields are nominal).
const core = built as unknown as Parameters<typeof replayServer>[0];
const folder = new URL("../transcripts/", import.meta.url);

for await (const entry of Deno.readDir(folder)) {
  if (!entry.name.endsWith(".txt")) continue;
  const transcript = parseTranscript(
    entry.name,
    await Deno.readTextFile(new URL(entry.name, folder)),
  );
  if (!transcript.clientOnly) {
    Deno.test(`server replays ${entry.name}, whole and split at every byte`, () => {
      deepStrictEqual(replayServer(core, transcript), []);
      const length = transcript.exchanges.reduce(
        (sum, e) => sum + (e.client === null ? 0 : e.client.length + 2),
        0,
      );
      for (let at = 1; at < length; at++)
        deepStrictEqual(replayServer(core, transcript, at), [], `split at ${at}`);
    });
  }
  Deno.test(`client replays ${entry.name}, whole and split at every byte`, () => {
    deepStrictEqual(replayClient(core, transcript), []);
    for (let at = 1; at < 2000; at++)
      deepStrictEqual(replayClient(core, transcript, at), [], `split at ${at}`);
  });
}
