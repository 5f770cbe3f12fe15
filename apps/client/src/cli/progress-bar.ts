import { formatBytes } from "./format-bytes.ts";

/** Redraw at most this often; a terminal does not need more and a fast LAN would flood it. */
const REDRAW_MS = 100;

/**
 * The fetch progress line on stderr: a bar, messages done of total, bytes of total and the
 * rate, redrawn in place. Drawn only when enabled (stderr is a terminal and not `--quiet`),
 * so logs and cron mail never see carriage returns. Colour only when allowed (`NO_COLOR`
 * unset, see no-color.org).
 */
export class ProgressBar {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  readonly #color: boolean;
  readonly #totalMessages: number;
  readonly #totalBytes: number;
  readonly #started = Date.now();
  #messages = 0;
  #bytes = 0;
  #lastDraw = 0;
  #drawn = false;

  constructor(options: {
    readonly stream: NodeJS.WriteStream;
    readonly enabled: boolean;
    readonly color: boolean;
    readonly totalMessages: number;
    readonly totalBytes: number;
  }) {
    this.#stream = options.stream;
    this.#enabled = options.enabled;
    this.#color = options.color;
    this.#totalMessages = options.totalMessages;
    this.#totalBytes = options.totalBytes;
  }

  addBytes(count: number): void {
    this.#bytes += count;
    this.#draw(false);
  }

  messageDone(): void {
    this.#messages++;
    this.#draw(this.#messages === this.#totalMessages);
  }

  /** Clears the line, so the next message starts on a clean line. */
  clear(): void {
    if (this.#enabled && this.#drawn) this.#stream.write("\r\x1b[2K");
    this.#drawn = false;
  }

  #draw(force: boolean): void {
    if (!this.#enabled) return;
    const now = Date.now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const rate = `${formatBytes(Math.round(this.#bytes / seconds))}/s`;
    const text = ` ${this.#messages}/${this.#totalMessages} messages  ${formatBytes(this.#bytes)}/${formatBytes(this.#totalBytes)}  ${rate}`;
    const columns = this.#stream.columns ?? 80;
    const width = Math.max(10, Math.min(40, columns - text.length - 3));
    const fraction = this.#totalBytes === 0 ? 1 : Math.min(1, this.#bytes / this.#totalBytes);
    const filled = Math.round(fraction * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const shown = this.#color ? `\x1b[32m${bar.slice(0, filled)}\x1b[0m${bar.slice(filled)}` : bar;
    this.#stream.write(`\r\x1b[2K[${shown}]${text}`);
    this.#drawn = true;
  }
}
