/**
 * What apop-server and apop share. Private to this repository: both programs bundle it at
 * build time (tsup `noExternal`), so no published tarball depends on it.
 */
export { CliError } from "./cli-error.ts";
export { isProcessAlive } from "./is-process-alive.ts";
export {
  type PasswordTerminal,
  type PromptStop,
  PromptStopped,
  promptPassword,
} from "./prompt-password.ts";
export { readVersion } from "./read-version.ts";
