import { describe, expect, it } from "vitest";
import { ManualClock } from "../../test/helpers/manual-clock.ts";
import { withTimeLimit } from "./with-time-limit.ts";

describe("withTimeLimit", () => {
  it("gives the promise's value, and cancels its timer", async () => {
    const clock = new ManualClock();
    await expect(
      withTimeLimit({ ms: 100, clock, what: "x", promise: Promise.resolve(7) }),
    ).resolves.toBe(7);
    expect(clock.pending).toBe(0);
  });

  it("rethrows the promise's own rejection as it is", async () => {
    const clock = new ManualClock();
    const error = new Error("refused");
    await expect(
      withTimeLimit({ ms: 100, clock, what: "x", promise: Promise.reject(error) }),
    ).rejects.toBe(error);
    expect(clock.pending).toBe(0);
  });

  it("throws timeout when the clock passes the limit first", async () => {
    const clock = new ManualClock();
    const waiting = withTimeLimit({
      ms: 100,
      clock,
      what: "the TLS handshake",
      promise: new Promise<never>(() => {}),
    });
    clock.advance(99);
    clock.advance(1);
    await expect(waiting).rejects.toMatchObject({
      name: "RemoteProtocolError",
      code: "timeout",
      message: "the TLS handshake did not finish within 100 ms",
    });
  });
});
