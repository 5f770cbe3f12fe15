import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as core from "../src/index.ts";
import { parseTranscript, replayClient, replayServer } from "./helpers/transcript.ts";

const folder = join(import.meta.dirname, "transcripts");
const transcripts = readdirSync(folder)
  .filter((name) => name.endsWith(".txt"))
  .map((name) => parseTranscript(name, readFileSync(join(folder, name), "latin1")));

function clientBytes(transcript: (typeof transcripts)[number]): number {
  return transcript.exchanges.reduce(
    (sum, e) => sum + (e.client === null ? 0 : e.client.length + 2),
    0,
  );
}

function serverBytes(transcript: (typeof transcripts)[number]): number {
  // An upper bound is enough: offsets past the end just mean "whole".
  return transcript.exchanges.reduce((sum, e) => sum + e.server.join("\r\n").length + 2, 0) + 4096;
}

// Transcripts marked `client only` show another server's replies (RFC 2449's CAPA list).
describe.each(transcripts.filter((t) => !t.clientOnly))("server replays $name", (transcript) => {
  it("says what the RFC says, fed whole", () => {
    expect(replayServer(core, transcript)).toEqual([]);
  });

  it("says the same with the input split at every byte", () => {
    for (let at = 1; at < clientBytes(transcript); at++) {
      expect(replayServer(core, transcript, at), `split at ${at}`).toEqual([]);
    }
  });
});

describe.each(transcripts)("client replays $name", (transcript) => {
  it("sends the RFC's lines and reads the replies, fed whole", () => {
    expect(replayClient(core, transcript)).toEqual([]);
  });

  it("reads the same with the replies split at every byte", () => {
    for (let at = 1; at < serverBytes(transcript); at++) {
      expect(replayClient(core, transcript, at), `split at ${at}`).toEqual([]);
    }
  });
});
