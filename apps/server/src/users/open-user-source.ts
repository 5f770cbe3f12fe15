import type { Authenticator } from "@apop/core";
import type { ServerConfig } from "../config/server-config-schema.ts";
import type { Logger } from "../serving/json-logger.ts";
import type { UserEntry } from "./parse-users-file.ts";
import { PostgresUserSource, redactUrl } from "./postgres-user-source.ts";
import { reloadUsers } from "./reload-users.ts";
import { UserDirectory } from "./user-directory.ts";

/** Where the users come from, as the running server needs it. */
export interface UserSource {
  readonly authenticator: Authenticator;
  /** SIGHUP: re-read what can be re-read; a bad new source keeps the old one. */
  reload(): Promise<void>;
  /** For the `started` log record. */
  summary(): Record<string, unknown>;
  /** At start: says at once when the source cannot answer (the server starts anyway). */
  check(): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * The users file (`users`, a Dovecot passwd-file, re-read on SIGHUP) or PostgreSQL
 * (`postgres.url`, asked at every login, so there is nothing to re-read).
 */
export function openUserSource(options: {
  config: ServerConfig;
  users: ReadonlyMap<string, UserEntry>;
  logger: Logger;
}): UserSource {
  const { config, users, logger } = options;
  const { url } = config.postgres;
  if (url === undefined) {
    const directory = new UserDirectory(users);
    const file = config.users as string;
    return {
      authenticator: directory,
      reload: async () => {
        await reloadUsers({ file, directory, logger });
      },
      summary: () => ({ userSource: "file", ...directory.summary() }),
      check: async () => null,
      close: async () => {},
    };
  }
  const source = new PostgresUserSource({
    url,
    query: config.postgres.query,
    poolSize: config.postgres.poolSize,
    connectTimeoutSeconds: config.postgres.connectTimeoutSeconds,
    statementTimeoutSeconds: config.postgres.statementTimeoutSeconds,
    onError: (error) =>
      logger.log("error", "user-source-error", { source: "postgres", error: error.message }),
  });
  return {
    authenticator: source,
    reload: async () => {
      logger.log("info", "users-reloaded", {
        source: "postgres",
        message: "every login asks the database; nothing to re-read",
      });
    },
    summary: () => ({ userSource: "postgres", postgres: redactUrl(url) }),
    check: () =>
      source.probe().then(
        () => null,
        (error: unknown) => (error as Error).message,
      ),
    close: () => source.close(),
  };
}
