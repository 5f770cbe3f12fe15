import { readFileSync } from "node:fs";
import path from "node:path";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { type ConfigLayer, getPath, isPlainObject } from "./config-layer.ts";
import { SETTINGS } from "./settings.ts";

/**
 * Reads the JSON config file (`--config FILE`) as a layer. Relative paths inside it resolve
 * against the file's own folder, so a config file and its users file can move together.
 *
 * Throws `CliError` (exit 2) when the file cannot be read, is not JSON, or is not an object;
 * the values themselves are checked later, with the other layers.
 */
export function readConfigFile(file: string): ConfigLayer {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw problem(`config: cannot read ${file}: ${(error as Error).message}`);
  }
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    throw problem(`config: ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(values)) throw problem(`config: ${file}: expected a JSON object`);
  const baseDir = path.dirname(path.resolve(file));
  const resolved = structuredClone(values);
  for (const setting of SETTINGS) {
    if (setting.kind !== "path") continue;
    const keys = setting.key.split(".");
    const value = getPath(resolved, keys);
    if (typeof value !== "string" || value === "") continue;
    const parent = getPath(resolved, keys.slice(0, -1)) as Record<string, unknown>;
    parent[keys[keys.length - 1] as string] = path.resolve(baseDir, value);
  }
  return { values: resolved, source: () => file };
}

function problem(line: string): CliError {
  return new CliError({ exitCode: ExitCode.config, message: line });
}
