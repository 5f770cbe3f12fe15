import { describe, expect, it } from "vitest";
import { createJsonLogger } from "./json-logger.ts";
import { logServerEvents } from "./log-server-events.ts";

describe("logServerEvents", () => {
  it("logs a connection that failed to start at error, with the error's message", () => {
    const lines: string[] = [];
    const logger = createJsonLogger({
      level: "error",
      write: (line) => lines.push(line),
      now: () => new Date("2024-01-02T03:04:05.000Z"),
    });
    const log = logServerEvents(logger);
    log({
      type: "connection-opened",
      connection: 7,
      remoteAddress: "192.0.2.1",
      remotePort: 40000,
      localPort: 110,
      implicitTls: false,
      proxiedBy: null,
    });
    log({
      type: "connection-failed",
      connection: 7,
      remoteAddress: "192.0.2.1",
      error: new RangeError("APOP timestamp: no host"),
    });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        time: "2024-01-02T03:04:05.000Z",
        level: "error",
        event: "connection-failed",
        connection: 7,
        remote: "192.0.2.1",
        error: "APOP timestamp: no host",
      },
    ]);
  });
});
