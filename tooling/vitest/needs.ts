/**
 * Tests that need something from outside the repo (a Debian peer, root, Linux's /proc). Where
 * the need is met they run as usual. Where it is not, a contributor's run skips them (vitest
 * counts them as skipped), but a CI run (`CI` set, as `.ci/run` does) fails them: a suite
 * that should run there must never pass by not running.
 */
import { describe, it } from "vitest";

type Body = () => unknown;

/** The `it` and `describe` to use for tests that need `what`, given whether it is `met`. */
export function needs(options: { met: boolean; what: string }): {
  it: (name: string, body: Body, timeout?: number) => void;
  describe: (name: string, body: () => void) => void;
} {
  const { met, what } = options;
  if (met) return { it, describe };
  if (process.env.CI === undefined || process.env.CI === "" || process.env.CI === "false") {
    return { it: it.skip, describe: describe.skip };
  }
  const fail = (): never => {
    throw new Error(`cannot run here: needs ${what}`);
  };
  return {
    it: (name) => it(name, fail),
    describe: (name) => describe(name, () => it(`needs ${what}`, fail)),
  };
}
