import { expect } from "vitest";

/**
 * Matches what an option check throws for a bad `option`: `LocalProtocolError`
 * `invalid-argument` whose message names the option first. For `toThrow(...)`.
 */
export function invalidArgument(option: string): unknown {
  return expect.objectContaining({
    name: "LocalProtocolError",
    code: "invalid-argument",
    message: expect.stringMatching(`^${option} `),
  });
}
