/**
 * The environment for an npm or program run in the scratch project: this process's, less
 * the `npm_*` variables that the surrounding `npm run` exported (they would point npm back
 * at the repository's config and prefix), plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key)) env[key] = value;
  }
  return { ...env, ...extra };
}
