import { describe, expect, it } from "vitest";
import { MboxrdMessage } from "./mboxrd-message.ts";

const NOW = new Date(Date.UTC(2026, 10, 5, 6, 7, 8));

/** The mboxrd form of `message`, fed in pieces cut at `cuts`. */
function format(message: string, cuts: number[]): string {
  const writer = new MboxrdMessage({ now: NOW });
  const bytes = Buffer.from(message, "latin1");
  const parts: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(writer.push(bytes.subarray(start, cut)));
    start = cut;
  }
  parts.push(writer.end());
  return Buffer.concat(parts).toString("latin1");
}

describe("MboxrdMessage", () => {
  it.each([
    [
      "From: A <a@example.org>\n\nFrom me\n>From you\n>>From x\nFrom\n From y\n>From\n",
      "From a@example.org Thu Nov  5 06:07:08 2026\nFrom: A <a@example.org>\n\n>From me\n>>From you\n>>>From x\nFrom\n From y\n>From\n\n",
    ],
    [
      "Return-Path: <>\n\nbody\n",
      "From MAILER-DAEMON Thu Nov  5 06:07:08 2026\nReturn-Path: <>\n\nbody\n\n",
    ],
    [
      "Return-Path:\n <b@example.net>\nFrom: c@example.com\n\nno newline",
      "From b@example.net Thu Nov  5 06:07:08 2026\nReturn-Path:\n <b@example.net>\nFrom: c@example.com\n\nno newline\n\n",
    ],
    ["", "From MAILER-DAEMON Thu Nov  5 06:07:08 2026\n\n"],
    ["From x\n", "From MAILER-DAEMON Thu Nov  5 06:07:08 2026\n>From x\n\n"],
  ])("writes %j, split anywhere, as %j", (message, expected) => {
    expect(format(message, [])).toBe(expected);
    for (let i = 0; i <= message.length; i++) {
      for (let j = i; j <= message.length; j++) expect(format(message, [i, j])).toBe(expected);
    }
  });
});
