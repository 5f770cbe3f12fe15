// Throughput of the multi-line block codec and of MD5, from the built package.
//
//   npm run build && node bench/bench.mjs
//
// The message is what a 10 MiB mail mostly is: a base64 attachment in 76-character lines
// (RFC 2045 section 6.8). Lines of the same length in words and sentences (one line in eight
// starting with ".", so stuffed) are measured too, for the human lines only. Every figure is the best of ROUNDS rounds after
// a warm-up, the rounds interleaved so a slow moment of the machine hits all of them alike;
// medians are printed beside. The last line is one JSON object for scripts.

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { MultilineDecoder, MultilineEncoder, md5 } from "../dist/index.js";

const MESSAGE_BYTES = 10 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MD5_BYTES = 1024 * 1024;
const WARMUP = 5;
const ROUNDS = 25;

/** Deterministic pseudo-random bytes (xorshift32), so every run measures the same input. */
function pseudoRandom(length, seed) {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** 76-character lines until `MESSAGE_BYTES` is reached with LF endings. */
function base64Lines() {
  const text = Buffer.from(pseudoRandom(MESSAGE_BYTES, 0x9e3779b9)).toString("base64");
  const lines = [];
  for (let at = 0, size = 0; size < MESSAGE_BYTES; at += 76, size += 77) {
    lines.push(text.slice(at, at + 76));
  }
  return lines;
}

function textLines() {
  const words =
    "the of and to a in is it you that he was for on are with as I his they be at".split(" ");
  const random = pseudoRandom(MESSAGE_BYTES, 12345);
  let r = 0;
  const next = (limit) => random[r++ % random.length] % limit;
  const lines = [];
  for (let size = 0; size < MESSAGE_BYTES; size += 77) {
    // One line in eight starts with "." (stuffed on the wire); one word in nine ends a sentence.
    let line = next(8) === 0 ? "." : "";
    while (line.length < 76) line += `${words[next(words.length)]}${next(9) === 0 ? "." : ""} `;
    lines.push(line.slice(0, 76));
  }
  return lines;
}

function bytesOf(text) {
  return new Uint8Array(Buffer.from(text, "latin1"));
}

/** The stored message (LF), the wire block (stuffed, CRLF, terminated) and the decoded message. */
function inputs(lines) {
  return {
    stored: bytesOf(lines.map((line) => `${line}\n`).join("")),
    wire: bytesOf(
      `${lines.map((line) => `${line.startsWith(".") ? "." : ""}${line}\r\n`).join("")}.\r\n`,
    ),
    message: bytesOf(lines.map((line) => `${line}\r\n`).join("")),
  };
}

function decode(wire) {
  const decoder = new MultilineDecoder();
  let octets = 0;
  for (let at = 0; at < wire.length; at += CHUNK) {
    const { data } = decoder.push(wire.subarray(at, at + CHUNK));
    for (const part of data) octets += part.length;
  }
  return octets;
}

function encode(stored) {
  const encoder = new MultilineEncoder();
  let octets = 0;
  for (let at = 0; at < stored.length; at += CHUNK) {
    octets += encoder.encode(stored.subarray(at, at + CHUNK)).length;
  }
  return octets + encoder.end().length;
}

/** Checks the codec on the benchmark input, so a fast wrong answer cannot pass for a result. */
function verify({ stored, wire, message }) {
  const decoder = new MultilineDecoder();
  const parts = [];
  let end = false;
  for (let at = 0; at < wire.length; at += CHUNK) {
    const result = decoder.push(wire.subarray(at, at + CHUNK));
    parts.push(...result.data);
    end = result.end;
  }
  if (!end || !Buffer.concat(parts).equals(message)) throw new Error("decoder output is wrong");
  const encoder = new MultilineEncoder();
  const sent = [];
  for (let at = 0; at < stored.length; at += CHUNK)
    sent.push(encoder.encode(stored.subarray(at, at + CHUNK)));
  sent.push(encoder.end());
  if (!Buffer.concat(sent).equals(wire)) throw new Error("encoder output is wrong");
}

function seconds(action) {
  const start = process.hrtime.bigint();
  action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function summary(samples, bytes) {
  const rates = samples.map((s) => bytes / 1e6 / s).sort((a, b) => b - a);
  return { best: rates[0], median: rates[rates.length >> 1] };
}

const base64 = inputs(base64Lines());
const text = inputs(textLines());
verify(base64);
verify(text);
const md5Input = pseudoRandom(MD5_BYTES, 777);
if (!Buffer.from(md5(md5Input)).equals(createHash("md5").update(md5Input).digest())) {
  throw new Error("md5 disagrees with node:crypto");
}

const copySource = Buffer.from(
  base64.message.buffer,
  base64.message.byteOffset,
  base64.message.length,
);
const copyTarget = Buffer.alloc(copySource.length);

const cases = {
  decode: [base64.wire.length, () => decode(base64.wire)],
  encode: [base64.stored.length, () => encode(base64.stored)],
  copy: [copySource.length, () => copySource.copy(copyTarget)],
  md5: [MD5_BYTES, () => md5(md5Input)],
  nodeMd5: [MD5_BYTES, () => createHash("md5").update(md5Input).digest()],
  textDecode: [text.wire.length, () => decode(text.wire)],
  textEncode: [text.stored.length, () => encode(text.stored)],
};

const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (let round = 0; round < WARMUP + ROUNDS; round++) {
  for (const [name, [, action]] of Object.entries(cases)) {
    const elapsed = seconds(action);
    if (round >= WARMUP) samples[name].push(elapsed);
  }
}
const rate = Object.fromEntries(
  Object.entries(cases).map(([name, [bytes]]) => [name, summary(samples[name], bytes)]),
);

const mb = (value) => `${Math.round(value).toString().padStart(6)} MB/s`;
const line = (label, name, note = "") =>
  console.log(
    `${label.padEnd(44)}${mb(rate[name].best)} (median ${mb(rate[name].median).trim()})${note}`,
  );
const ratio = (a, b) => `  ${(rate[a].best / rate[b].best).toFixed(2)}x ${b}`;

console.log(`node ${process.version}, ${ROUNDS} rounds after ${WARMUP} warm-up, best (median)`);
line("decode, 10 MiB base64 CRLF lines, 64 KiB", "decode", ratio("decode", "copy"));
line("encode, 10 MiB base64 LF lines, 64 KiB", "encode", ratio("encode", "copy"));
line("Buffer.copy, 10 MiB", "copy");
line("md5 (@apop/core), 1 MiB", "md5", ratio("md5", "nodeMd5"));
line("md5 (node:crypto), 1 MiB", "nodeMd5");
line("decode, 10 MiB text with dots, CRLF", "textDecode", ratio("textDecode", "copy"));
line("encode, 10 MiB text with dots, LF", "textEncode", ratio("textEncode", "copy"));
console.log(
  JSON.stringify({
    decodeMBps: Math.round(rate.decode.best),
    encodeMBps: Math.round(rate.encode.best),
    copyMBps: Math.round(rate.copy.best),
    md5MBps: Math.round(rate.md5.best),
    nodeMd5MBps: Math.round(rate.nodeMd5.best),
  }),
);
