import { describe, expect, it } from "vitest";
import { assertNever } from "./assert-never.ts";

describe("assertNever", () => {
  it("throws with the unexpected value, for data the types did not foresee", () => {
    expect(() => assertNever({ keyword: "XTND" } as never)).toThrow(
      'unexpected value: {"keyword":"XTND"}',
    );
  });
});
