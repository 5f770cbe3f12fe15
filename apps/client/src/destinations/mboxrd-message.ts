import { mboxFromLine } from "./mbox-from-line.ts";
import { MboxrdQuoter } from "./mboxrd-quoter.ts";

/** How much of the header is held to find the sender before giving up on the rest. */
const MAX_HEADER = 256 * 1024;

/**
 * Turns a message (LF line ends, streamed) into its mboxrd form: the `From ` line, the
 * message with `>*From ` lines quoted, a final LF if the message lacked one, and the empty
 * line that separates it from the next message.
 *
 * The `From ` line needs the sender from the header, so the header block (up to the first
 * empty line, at most 256 KiB) is held back until it is complete; the body then streams
 * through.
 */
export class MboxrdMessage {
  readonly #now: Date;
  readonly #quoter = new MboxrdQuoter();
  #header: Uint8Array[] | null = [];
  #headerLength = 0;
  #lastHeaderByte = -1;
  #lastByte = -1;
  #empty = true;

  constructor(options: { readonly now: Date }) {
    this.#now = options.now;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    this.#empty = false;
    this.#lastByte = chunk[chunk.length - 1] as number;
    if (this.#header === null) return this.#quoter.push(chunk);
    // Only the new chunk (and the LF just before it) can complete the header: no rescans, and
    // the chunks are joined once, so a header sent one octet at a time stays linear.
    const complete = headerEnds({
      previous: this.#headerLength === 0 ? -1 : this.#lastHeaderByte,
      chunk,
    });
    this.#header.push(chunk);
    this.#headerLength += chunk.length;
    this.#lastHeaderByte = chunk[chunk.length - 1] as number;
    if (!(complete || this.#headerLength >= MAX_HEADER)) return new Uint8Array(0);
    return this.#release(Buffer.concat(this.#header));
  }

  end(): Uint8Array {
    const parts: Uint8Array[] = [];
    if (this.#header !== null) parts.push(this.#release(Buffer.concat(this.#header)));
    parts.push(this.#quoter.end());
    // A message ends with LF, then one empty line separates it from the next.
    if (!this.#empty && this.#lastByte !== LF) parts.push(Uint8Array.of(LF));
    parts.push(Uint8Array.of(LF));
    return Buffer.concat(parts);
  }

  #release(held: Uint8Array): Uint8Array {
    this.#header = null;
    const from = Buffer.from(mboxFromLine({ header: held, now: this.#now }), "latin1");
    return Buffer.concat([from, this.#quoter.push(held)]);
  }
}

const LF = 0x0a;

/**
 * Whether the header ends within `chunk`: at an empty line (LF LF, the first LF possibly the
 * last octet before `chunk`), or the message starts with one (no header). `previous` is the
 * octet before `chunk`, -1 at the start of the message.
 */
function headerEnds(options: { previous: number; chunk: Uint8Array }): boolean {
  const { previous, chunk } = options;
  if (chunk[0] === LF && (previous === LF || previous === -1)) return true;
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).indexOf("\n\n") !== -1;
}
