import type { Authenticator, Credential } from "@apop/core";
import pg from "pg";
import { parseStoredPassword } from "./password-scheme.ts";

/**
 * The PostgreSQL user source's defaults, the one place apop-server reads them from (config
 * schema, `--help`). A pool of 10 serves hundreds of logins a second, since each login holds
 * a connection only for one indexed SELECT; 5 s to connect and 5 s per query keep a login
 * well inside a client's own timeouts when the database is down or stuck.
 */
export const POSTGRES_DEFAULTS = {
  query: "SELECT password FROM users WHERE username = $1",
  poolSize: 10,
  connectTimeoutSeconds: 5,
  statementTimeoutSeconds: 5,
} as const;

export interface PostgresUserSourceOptions {
  /** A libpq connection URL (`postgresql://user@host:port/db`); `PG*` variables fill the rest. */
  readonly url: string;
  /**
   * Returns the stored secret (`{SCHEME}secret`, as in the users file) of the user given as
   * `$1`, in a column named `password` or else the first column; no row means no such user.
   */
  readonly query: string;
  readonly poolSize: number;
  readonly connectTimeoutSeconds: number;
  readonly statementTimeoutSeconds: number;
  /** A lookup failed (the database is down, slow, or answered something unusable). */
  readonly onError: (error: Error) => void;
}

/**
 * Users in PostgreSQL, the idea of Dovecot's `passdb sql`: one configured query per login,
 * with the user name as a bind parameter (never interpolated into the SQL), over a pool of
 * connections.
 *
 * Every failure (no connection within the connect timeout, a query slower than the statement
 * timeout, an error, two rows, an unreadable secret) rejects `lookup`, which core answers
 * with `-ERR [SYS/TEMP]` (RFC 3206 section 4: try again later): never an accepted login, and
 * never a crash: idle connections that break are dropped by the pool and replaced.
 */
export class PostgresUserSource implements Authenticator {
  readonly #pool: pg.Pool;
  readonly #query: string;
  readonly #onError: (error: Error) => void;

  constructor(options: PostgresUserSourceOptions) {
    this.#query = options.query;
    this.#onError = options.onError;
    const statementMs = Math.round(options.statementTimeoutSeconds * 1000);
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      // Also bounds the wait for a free connection when all are busy.
      connectionTimeoutMillis: Math.round(options.connectTimeoutSeconds * 1000),
      // The server cancels a slow statement; the client gives up too, for a server that
      // does not answer at all (stopped, or a network that drops packets).
      statement_timeout: statementMs,
      query_timeout: statementMs + 1000,
      idleTimeoutMillis: 30_000,
      application_name: "apop-server",
    });
    // An idle connection that breaks (the server restarts) is reported here; unwatched, the
    // 'error' event would take the process down.
    this.#pool.on("error", (error) => this.#onError(error));
  }

  async lookup(user: string): Promise<Credential | null> {
    try {
      const result = await this.#pool.query<Record<string, unknown>>({
        text: this.#query,
        values: [user],
      });
      if (result.rows.length === 0) return null;
      if (result.rows.length > 1) {
        throw new Error(`the user query returned ${result.rows.length} rows for one user`);
      }
      const row = result.rows[0] as Record<string, unknown>;
      const field = "password" in row ? row.password : Object.values(row)[0];
      if (typeof field !== "string") {
        throw new Error("the user query's password column is not text");
      }
      const parsed = parseStoredPassword(field);
      if ("error" in parsed) throw new Error(`the stored password is unusable: ${parsed.error}`);
      return parsed.credential;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.#onError(failure);
      throw failure;
    }
  }

  /**
   * Connects and runs the query once (for a user name no one has), so a start or
   * `check-config` can say at once that the database or the query is wrong. Rejects with why.
   */
  async probe(): Promise<void> {
    await this.#pool.query({ text: this.#query, values: ["apop-server probe"] });
  }

  /** Closes every connection. */
  close(): Promise<void> {
    return this.#pool.end();
  }
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(a connection string that is not a URL)";
  }
}
