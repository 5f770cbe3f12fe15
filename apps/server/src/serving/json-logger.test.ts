import { describe, expect, it } from "vitest";
import { createJsonLogger } from "./json-logger.ts";

describe("createJsonLogger", () => {
  const capture = (level: "debug" | "info" | "warn" | "error") => {
    const lines: string[] = [];
    const logger = createJsonLogger({
      level,
      write: (line) => lines.push(line),
      now: () => new Date("2024-01-02T03:04:05.000Z"),
    });
    return { logger, lines };
  };

  it("writes one JSON object per line with time, level and event first", () => {
    const { logger, lines } = capture("info");
    logger.log("info", "connect", { connection: 1, error: new Error("boom") });
    expect(lines).toEqual([
      '{"time":"2024-01-02T03:04:05.000Z","level":"info","event":"connect","connection":1,"error":"boom"}\n',
    ]);
  });

  it("drops records below the level", () => {
    const { logger, lines } = capture("warn");
    logger.log("info", "connect");
    logger.log("debug", "command");
    logger.log("error", "listener-error");
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(["listener-error"]);
    expect(logger.enabled("warn")).toBe(true);
    expect(logger.enabled("info")).toBe(false);
  });

  it("masks secret-looking fields at any depth, should a caller ever pass one", () => {
    const { logger, lines } = capture("debug");
    logger.log("debug", "oops", { password: "hunter2", nested: { digest: "abc", Secret: "x" } });
    expect(lines[0]).not.toMatch(/hunter2|"abc"|"x"/);
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      password: "[redacted]",
      nested: { digest: "[redacted]" },
    });
  });
});
