import path from "node:path";
import { SETTINGS, type Setting } from "./settings.ts";

/**
 * One source of configuration: the demo preset, the config file, the environment or the
 * flags. Layers are laid over each other in that order (later wins, key by key), and each
 * keeps its name so that a problem can say where the bad value came from.
 */
export interface ConfigLayer {
  /** For problems: `--listen`, `APOP_SERVER_LISTEN`, `/etc/apop/server.json`, `--demo`. */
  readonly source: (key: string) => string;
  readonly values: Readonly<Record<string, unknown>>;
}

/** A raw value as a flag or an environment variable gives it. */
export type RawSettingValue = string | boolean | readonly string[];

/**
 * Builds a layer from flags or environment strings. Values are converted by the setting's
 * kind where that is unambiguous; anything else is kept as given, so the schema reports it
 * ("expected a whole number") instead of the value being silently dropped.
 */
export function layerFromSettings(options: {
  read: (setting: Setting) => RawSettingValue | undefined;
  source: (setting: Setting) => string;
  /** Relative paths resolve against this folder (the cwd for flags and environment). */
  baseDir: string;
}): ConfigLayer {
  const values: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const setting of SETTINGS) {
    const raw = options.read(setting);
    if (raw === undefined) continue;
    setPath(values, setting.key, convert(setting, raw, options.baseDir));
    sources.set(setting.key, options.source(setting));
  }
  return {
    values,
    // A parent key (`limits`) came from whichever flag set something under it.
    source: (key) =>
      sources.get(key) ??
      [...sources].find(([setting]) => setting.startsWith(`${key}.`))?.[1] ??
      "the command line",
  };
}

function convert(setting: Setting, raw: RawSettingValue, baseDir: string): unknown {
  if (typeof raw === "boolean") return raw;
  if (Array.isArray(raw)) return raw;
  const text = raw as string;
  switch (setting.kind) {
    case "list":
      return text.split(/[\s,]+/).filter((item) => item !== "");
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(text)) return true;
      if (/^(0|false|no|off)$/i.test(text)) return false;
      return text;
    case "number":
      return /^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
    case "path":
      return text === "" ? text : path.resolve(baseDir, text);
    case "string":
      return text;
    default: {
      const unreachable: never = setting.kind;
      return unreachable;
    }
  }
}

/** Lays the layers over each other: objects merge key by key, everything else replaces. */
export function mergeLayers(layers: readonly ConfigLayer[]): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  for (const layer of layers) merged = deepMerge(merged, layer.values);
  return merged;
}

/**
 * Which layer gave the value at `keyPath` (or its nearest defined ancestor): the last one
 * that defines it, as in `mergeLayers`. Undefined for a value no layer gave (a default).
 */
export function sourceOf(
  layers: readonly ConfigLayer[],
  keyPath: readonly string[],
): string | undefined {
  for (let length = keyPath.length; length > 0; length--) {
    const prefix = keyPath.slice(0, length);
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i] as ConfigLayer;
      if (getPath(layer.values, prefix) !== undefined) return layer.source(prefix.join("."));
    }
  }
  return undefined;
}

/** The value at a path of keys, or undefined. */
export function getPath(value: unknown, keyPath: readonly string[]): unknown {
  let current = value;
  for (const key of keyPath) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let current = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys[keys.length - 1] as string] = value;
}

function deepMerge(
  base: Readonly<Record<string, unknown>>,
  over: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const existing = result[key];
    result[key] =
      isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return result;
}

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
