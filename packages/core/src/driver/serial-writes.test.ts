import { describe, expect, it } from "vitest";
import { connectionClosedError, SerialWrites } from "./serial-writes.ts";

describe("SerialWrites", () => {
  it("starts each write only after the one before settled, failed ones included", async () => {
    const writes = new SerialWrites();
    const log: string[] = [];
    let releaseFirst = (): void => {};
    const first = writes.enqueue(
      () =>
        new Promise<void>((resolve) => {
          log.push("first started");
          releaseFirst = resolve;
        }),
    );
    const second = writes.enqueue(async () => {
      log.push("second started");
      throw connectionClosedError("the connection failed while writing", new Error("reset"));
    });
    const third = writes.enqueue(async () => {
      log.push("third started");
    });
    await Promise.resolve();
    expect(log).toEqual(["first started"]);
    releaseFirst();
    await first;
    await expect(second).rejects.toMatchObject({
      code: "connection-closed",
      cause: new Error("reset"),
    });
    await third;
    expect(log).toEqual(["first started", "second started", "third started"]);
    await expect(writes.settled()).resolves.toBeUndefined();
  });
});
