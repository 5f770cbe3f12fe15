import { it } from "vitest";

/**
 * One interop check: a vitest test (so it is counted), which also prints one line,
 * `interop: <name> ... ok` (with a note when the check has something to say, such as a
 * peer's own transformation of a message), or `... FAILED`. `timeoutMs` guards against a
 * hung peer (default: the config's 120 s); it is never an assertion about speed.
 */
export function check(
  name: string,
  body: () => Promise<string | undefined>,
  timeoutMs?: number,
): void {
  it(name, { ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }) }, async () => {
    try {
      const note = await body();
      console.log(`interop: ${name} ... ok${note === undefined ? "" : ` (${note})`}`);
    } catch (error) {
      console.log(`interop: ${name} ... FAILED`);
      throw error;
    }
  });
}
