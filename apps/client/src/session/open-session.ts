import { readFile } from "node:fs/promises";
import type { Pop3Client } from "@apop/core";
import { connect } from "@apop/node";
import { classifyError } from "../cli/classify-error.ts";
import { CliError } from "../cli/cli-error.ts";
import { ExitCode } from "../cli/exit-code.ts";
import type { Credentials } from "../credentials/resolve-credentials.ts";
import type { Target } from "./resolve-target.ts";

/** How to reach the server, from the connection flags. */
export interface ConnectionSettings {
  readonly target: Target;
  /** `--ca FILE`: PEM certificates trusted instead of the system's. */
  readonly caFile: string | undefined;
  /** `--insecure`: no certificate checks at all. */
  readonly insecure: boolean;
  readonly timeoutMs: number;
  readonly warn: (message: string) => void;
}

/**
 * Connects (TLS as the target says; `starttls` never goes on in clear, see `@apop/node`'s
 * `connect`) and, given credentials, logs in with the chosen method. Every failure is a
 * `CliError` with the exit code of its phase (`classifyError`); a failed login closes the
 * connection first.
 */
export async function openSession(options: {
  readonly connection: ConnectionSettings;
  readonly credentials?: Credentials;
  readonly allowPlaintext?: boolean;
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
      timeoutMs,
    });
  } catch (error) {
    throw classifyError({ error, phase: "connect", server });
  }
  const credentials = options.credentials;
  if (credentials === undefined) return client;
  try {
    await client.login({
      user: credentials.user,
      password: credentials.password,
      method: target.auth,
      allowPlaintext: options.allowPlaintext === true,
    });
  } catch (error) {
    await client.close().catch(() => {});
    throw classifyError({ error, phase: "login", server, user: credentials.user });
  }
  return client;
}
