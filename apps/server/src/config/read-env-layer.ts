import { type ConfigLayer, layerFromSettings } from "./config-layer.ts";
import { envName, SETTINGS } from "./settings.ts";

/** Variables with the prefix that are not settings. `APOP_SERVER_CONFIG` names the file. */
const NOT_SETTINGS = new Set(["APOP_SERVER_CONFIG"]);

/**
 * The `APOP_SERVER_*` variables as a layer: each flag `--foo-bar` is `APOP_SERVER_FOO_BAR`.
 * Lists are comma-separated, booleans are true/false (1/0, yes/no, on/off), relative paths
 * resolve against `cwd`. An empty variable counts as unset, as shells make that easy.
 *
 * Unknown `APOP_SERVER_*` names come back as warnings rather than problems: the environment
 * is shared with other programs, and a stale variable should not stop a server.
 */
export function readEnvLayer(options: {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}): { layer: ConfigLayer; warnings: string[] } {
  const { env, cwd } = options;
  const layer = layerFromSettings({
    read: (setting) => {
      const value = env[envName(setting.flag)];
      return value === undefined || value === "" ? undefined : value;
    },
    source: (setting) => envName(setting.flag),
    baseDir: cwd,
  });
  const known = new Set(SETTINGS.map((setting) => envName(setting.flag)));
  const warnings = Object.keys(env)
    .filter(
      (name) => name.startsWith("APOP_SERVER_") && !known.has(name) && !NOT_SETTINGS.has(name),
    )
    .sort()
    .map((name) => `environment: ${name} is not a setting of apop-server; ignored`);
  return { layer, warnings };
}
