import { fileURLToPath } from "node:url";
import { PYTHON } from "./peers.ts";
import { describeRun, runToolOk } from "./run-tool.ts";

const SCRIPT = fileURLToPath(new URL("./poplib-session.py", import.meta.url));

/** A step of `poplib-session.py` (see the script's docstring). */
export type PoplibStep =
  | ["capa"]
  | ["stls"]
  | ["user", string, string]
  | ["apop", string, string]
  | ["stat"]
  | ["list"]
  | ["uidl"]
  | ["top", number, number]
  | ["retr", number]
  | ["dele", number]
  | ["rset"]
  | ["noop"]
  | ["quit"];

export interface PoplibStepResult {
  readonly step: unknown[];
  readonly value?: unknown;
  readonly error?: string;
}

export interface PoplibReport {
  readonly python: string;
  readonly version: string;
  readonly maxline: number;
  readonly greeting?: string;
  readonly connect_error?: string;
  readonly steps: PoplibStepResult[];
}

/** A body poplib returned: the file it was saved to, with poplib's octet count. */
export interface PoplibBody {
  readonly response: string;
  readonly octets: number;
  readonly file: string;
}

/** A listing (LIST, UIDL). */
export interface PoplibListing {
  readonly response: string;
  readonly lines: string[];
}

/**
 * Runs one poplib session. `maxline` raises `poplib._MAXLINE` (default 2048) for the
 * session; leave it out to keep poplib's default.
 */
export async function runPoplib(plan: {
  port: number;
  tls: "none" | "implicit";
  cafile: string;
  out: string;
  steps: readonly PoplibStep[];
  maxline?: number;
}): Promise<PoplibReport> {
  const result = await runToolOk({
    command: PYTHON,
    args: [SCRIPT, JSON.stringify({ host: "127.0.0.1", maxline: null, ...plan })],
  });
  try {
    return JSON.parse(result.stdout.toString("utf8")) as PoplibReport;
  } catch {
    throw new Error(`poplib-session.py printed no report:\n${describeRun(result)}`);
  }
}

/**
 * The value of every step, in order; throws with the whole report when the connection or
 * any step failed, or a step did not run.
 */
export function stepValues(report: PoplibReport, expectedSteps: number): unknown[] {
  const failed =
    report.connect_error ?? report.steps.find((step) => step.error !== undefined)?.error;
  if (failed !== undefined || report.steps.length !== expectedSteps) {
    throw new Error(
      `poplib session failed: ${failed ?? "steps missing"}\n${JSON.stringify(report, null, 2)}`,
    );
  }
  return report.steps.map((step) => step.value);
}
