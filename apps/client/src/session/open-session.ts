import { readFile } from "node:fs/promises";
import { CliError } from "@apop/cli-kit";
import { type Pop3Client, Pop3Error, retryAdvice } from "@apop/core";
import { chooseLanguage, DEFAULT_RETRIES } from "@apop/core/internal";
import { connect } from "@apop/node";
import { classifyError } from "../cli/classify-error.ts";
import { ExitCode } from "../cli/exit-code.ts";
import type { Credentials } from "../credentials/resolve-credentials.ts";
import type { RememberedMethod } from "../state/state-file.ts";
import type { Target } from "./resolve-target.ts";

/** How to reach the server, from the connection flags. */
export interface ConnectionSettings {
  readonly target: Target;
  /** `--ca FILE`: PEM certificates trusted instead of the system's. */
  readonly caFile: string | undefined;
  /** `--insecure`: no certificate checks at all. */
  readonly insecure: boolean;
  readonly timeoutMs: number;
  /**
   * `--retry N` / `--no-retry`: how often a login refused with `[IN-USE]`, `[SYS/TEMP]` or
   * `[LOGIN-DELAY]` is tried again (core's `retryAdvice`). Default core's `DEFAULT_RETRIES`.
   */
  readonly retries: number | undefined;
  /** `--lang`, else the locale: language ranges for LANG, best first (may be empty). */
  readonly languages: readonly string[];
  readonly warn: (message: string) => void;
}

/**
 * `attemptSession`, tried again while core's `retryAdvice` says so: `[IN-USE]` and
 * `[SYS/TEMP]` after a doubling wait, `[LOGIN-DELAY]` after the delay the server announced in
 * CAPA. Each wait is announced on stderr before it starts. A LOGIN-DELAY longer than apop
 * waits stops at once with exit 5; `[AUTH]` and `[SYS/PERM]` are never retried.
 */
export async function openSession(options: {
  readonly connection: ConnectionSettings;
  readonly credentials?: Credentials;
  readonly allowPlaintext?: boolean;
  /** The method that worked last time for this account; `auto` tries it first. */
  readonly remembered?: RememberedMethod | undefined;
  /** Hears the method the login used, to remember it with the account. */
  readonly onLogin?: (method: RememberedMethod) => void;
}): Promise<Pop3Client> {
  const { target, retries, warn } = options.connection;
  const server = `${target.host}:${target.port}`;
  for (let attempt = 1; ; attempt++) {
    let loginDelaySeconds: number | undefined;
    try {
      return await attemptSession({
        ...options,
        onCapabilities: (seconds) => {
          loginDelaySeconds = seconds;
        },
      });
    } catch (error) {
      const refused = error instanceof CliError ? error.cause : error;
      if (!Pop3Error.isInstance(refused)) throw error;
      const advice = retryAdvice({
        code: refused.code,
        attempt,
        ...(retries === undefined ? {} : { retries }),
        ...(loginDelaySeconds === undefined ? {} : { loginDelaySeconds }),
      });
      if (advice.action === "stop") {
        if (advice.why === "budget") {
          throw new CliError({
            exitCode: ExitCode.unavailable,
            message: `${server} asks for ${loginDelaySeconds} s between logins, longer than apop waits; try again later (${refused.message})`,
            cause: refused,
          });
        }
        throw error;
      }
      const total = (retries ?? DEFAULT_RETRIES) + 1;
      warn(
        `${server}: ${refused.message}; retrying in ${Math.ceil(advice.afterMs / 1000)} s (attempt ${attempt + 1} of ${total})`,
      );
      await new Promise((resolve) => setTimeout(resolve, advice.afterMs));
    }
  }
}

/**
 * Connects (TLS as the target says; `starttls` never goes on in clear, see `@apop/node`'s
 * `connect`) and, given credentials, logs in with the chosen method. Every failure is a
 * `CliError` with the exit code of its phase (`classifyError`); a failed login closes the
 * connection first.
 */
async function attemptSession(options: {
  readonly connection: ConnectionSettings;
  readonly credentials?: Credentials;
  readonly allowPlaintext?: boolean;
  readonly remembered?: RememberedMethod | undefined;
  readonly onLogin?: (method: RememberedMethod) => void;
  /** Hears the LOGIN-DELAY the server announced before login, in seconds. */
  readonly onCapabilities: (loginDelaySeconds: number | undefined) => void;
}): Promise<Pop3Client> {
  const { target, caFile, insecure, timeoutMs, warn } = options.connection;
  const server = `${target.host}:${target.port}`;
  let ca: string | undefined;
  if (caFile !== undefined) {
    try {
      ca = await readFile(caFile, "utf8");
    } catch (error) {
      throw new CliError({
        exitCode: ExitCode.usage,
        message: `cannot read --ca ${caFile}: ${(error as Error).message}`,
      });
    }
  }
  if (insecure && target.tls !== "none") {
    warn(
      "WARNING: --insecure: the server's TLS certificate is NOT checked; anyone on the network path can read the password and the mail",
    );
  }
  let client: Pop3Client;
  try {
    client = await connect({
      host: target.host,
      port: target.port,
      tls: target.tls,
      ...(ca === undefined ? {} : { ca }),
      ...(insecure ? { rejectUnauthorized: false } : {}),
      connectTimeoutMs: timeoutMs,
      tlsHandshakeTimeoutMs: timeoutMs,
      replyTimeoutMs: timeoutMs,
    });
  } catch (error) {
    throw classifyError({ error, phase: "connect", server });
  }
  await chooseServerLanguage({ client, preferences: options.connection.languages, warn });
  const credentials = options.credentials;
  if (credentials === undefined) return client;
  try {
    const used = await client.login({
      user: credentials.user,
      password: credentials.password,
      method: target.auth,
      allowPlaintext: options.allowPlaintext === true,
      ...(options.remembered === undefined ? {} : { remembered: options.remembered }),
    });
    options.onLogin?.(used);
  } catch (error) {
    const announced = Number(client.capabilities?.get("LOGIN-DELAY")?.[0]);
    options.onCapabilities(Number.isSafeInteger(announced) ? announced : undefined);
    await client.close().catch(() => {});
    throw classifyError({ error, phase: "login", server, user: credentials.user });
  }
  return client;
}

/**
 * RFC 6856 section 3: where the server offers LANG, the first of its languages that the
 * user's preferences match (core's `chooseLanguage`), after UTF8 where offered, so its texts
 * may use the language's own letters. A server that refuses only costs a warning.
 */
async function chooseServerLanguage(options: {
  readonly client: Pop3Client;
  readonly preferences: readonly string[];
  readonly warn: (message: string) => void;
}): Promise<void> {
  const { client, preferences, warn } = options;
  if (preferences.length === 0) return;
  try {
    const capabilities = client.capabilities ?? (await client.capa());
    if (capabilities?.has("LANG") !== true) return;
    const offered = (await client.languages()).map((language) => language.tag);
    const tag = chooseLanguage({ preferences, offered });
    if (tag === null) return;
    if (capabilities.has("UTF8")) await client.utf8();
    await client.lang(tag);
  } catch (error) {
    if (!Pop3Error.isInstance(error)) throw error;
    warn(`the server refused its language (${error.message}); going on without`);
  }
}
