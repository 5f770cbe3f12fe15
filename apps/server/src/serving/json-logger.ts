import { LOG_LEVELS, type LogLevel } from "../config/server-config-schema.ts";

/** Writes one structured log record. */
export interface Logger {
  log(level: LogLevel, event: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Whether records of this level are written (skip building costly fields otherwise). */
  enabled(level: LogLevel): boolean;
}

/**
 * Field names that must never reach a log, whatever a caller passes: the server has no
 * reason to log them, so one that shows up is a bug, and it is masked rather than written.
 */
const SECRET_FIELDS = /^(pass(word)?|secret|digest|proof|response|credential)$/i;

/**
 * A logger that writes one JSON object per line: `{"time", "level", "event", ...fields}`.
 * Errors become their message; records below `level` are dropped. `write` defaults to
 * stdout, which is synchronous for files and pipes on Linux, so nothing is lost at exit.
 */
export function createJsonLogger(options: {
  level: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const enabled = (level: LogLevel): boolean => LOG_LEVELS.indexOf(level) >= threshold;
  return {
    enabled,
    log(level, event, fields = {}) {
      if (!enabled(level)) return;
      const record = { time: now().toISOString(), level, event, ...fields };
      write(`${JSON.stringify(record, replacer)}\n`);
    },
  };
}

function replacer(key: string, value: unknown): unknown {
  if (key !== "" && SECRET_FIELDS.test(key)) return "[redacted]";
  if (value instanceof Error) return value.message;
  return value;
}
