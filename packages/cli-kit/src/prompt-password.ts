/** The terminal a password is typed on: a TTY read stream (`process.stdin`). */
export interface PasswordTerminal {
  setRawMode(mode: boolean): unknown;
  setEncoding(encoding: "utf8"): unknown;
  on(event: "data", listener: (chunk: string) => void): unknown;
  off(event: "data", listener: (chunk: string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** Why a password prompt ended without a password. */
export type PromptStop = "interrupt" | "end-of-input";

/** Thrown by `promptPassword` when the typist stops it; each program maps it to its exit. */
export class PromptStopped extends Error {
  readonly stop: PromptStop;

  constructor(stop: PromptStop) {
    super(stop === "interrupt" ? "interrupted" : "no password given");
    this.name = "PromptStopped";
    this.stop = stop;
  }
}

/**
 * Asks for a password on a terminal without echoing it: raw mode goes on before the prompt
 * shows (nothing typed after it may ever be echoed), the prompt goes to `output` (stderr, as
 * stdout may be a pipe). Backspace edits; Enter ends; Ctrl-D ends a non-empty line. Rejects
 * with `PromptStopped` on Ctrl-C (`interrupt`) and on Ctrl-D at an empty line
 * (`end-of-input`). Call only when `input` is a TTY; raw mode is off again when it settles.
 */
export function promptPassword(options: {
  prompt: string;
  input?: PasswordTerminal;
  output?: { write(text: string): unknown };
}): Promise<string> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (stop: PromptStop | null): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      output.write("\n");
      if (stop === null) resolve(typed);
      else reject(new PromptStopped(stop));
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        const stop = stopOf(char, typed);
        if (stop !== undefined) {
          finish(stop);
          return;
        }
        if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("");
        else if (char >= " ") typed += char;
      }
    };
    // utf8 decoding in the stream keeps a character split across two reads whole.
    input.setEncoding("utf8");
    input.setRawMode(true);
    input.on("data", onData);
    input.resume();
    output.write(options.prompt);
  });
}

/** What a character ends the prompt with: `null` for success, `undefined` when it does not. */
function stopOf(char: string, typed: string): PromptStop | null | undefined {
  if (char === "\r" || char === "\n") return null;
  if (char === "\u0003") return "interrupt";
  if (char === "\u0004") return typed === "" ? "end-of-input" : null;
  return undefined;
}
