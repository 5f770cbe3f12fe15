import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { PromptStopped, promptPassword } from "./prompt-password.ts";

/** A stream standing in for a TTY: records raw-mode switches, in order. */
function terminal() {
  const stream = new PassThrough();
  const rawModes: boolean[] = [];
  const output: string[] = [];
  const input = Object.assign(stream, {
    setRawMode(mode: boolean) {
      rawModes.push(mode);
      return stream;
    },
  });
  return { input, rawModes, output, write: (text: string) => output.push(text) };
}

function ask(t: ReturnType<typeof terminal>): Promise<string> {
  return promptPassword({ prompt: "Password: ", input: t.input, output: { write: t.write } });
}

describe("promptPassword", () => {
  it("turns raw mode on before the prompt shows and off after Enter", async () => {
    const t = terminal();
    const answer = ask(t);
    expect(t.rawModes).toEqual([true]);
    expect(t.output).toEqual(["Password: "]);
    t.input.write("s3cret\r");
    expect(await answer).toBe("s3cret");
    expect(t.rawModes).toEqual([true, false]);
    expect(t.output).toEqual(["Password: ", "\n"]);
  });

  it("applies backspace, drops control characters, keeps a character split across reads", async () => {
    const t = terminal();
    const answer = ask(t);
    const euro = Buffer.from("€", "utf8");
    t.input.write("abx\u007f\u0001");
    t.input.write(euro.subarray(0, 1));
    t.input.write(Buffer.concat([euro.subarray(1), Buffer.from("\n")]));
    expect(await answer).toBe("ab€");
  });

  it("stops with `interrupt` on Ctrl-C", async () => {
    const t = terminal();
    const answer = ask(t);
    t.input.write("ab\u0003cd\r");
    await expect(answer).rejects.toMatchObject(new PromptStopped("interrupt"));
    expect(t.rawModes).toEqual([true, false]);
  });

  it("stops with `end-of-input` on Ctrl-D at an empty line, ends a typed line with it", async () => {
    const empty = terminal();
    const stopped = ask(empty);
    empty.input.write("\u0004");
    await expect(stopped).rejects.toMatchObject({ stop: "end-of-input" });

    const typed = terminal();
    const answer = ask(typed);
    typed.input.write("pw\u0004");
    expect(await answer).toBe("pw");
  });
});
