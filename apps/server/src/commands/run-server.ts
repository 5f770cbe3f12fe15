import { CliError } from "@apop/cli-kit";
import type { Authenticator, MailStore, TokenValidator } from "@apop/core";
import { DEFAULT_SASL_SERVER_MECHANISMS } from "@apop/core/internal";
import { createMaildirStore, dovecotUidlistSource } from "@apop/maildir";
import { createPop3Server, type Pop3Server } from "@apop/node";
import { ExitCode } from "../cli/exit-code.ts";
import { formatHostPort } from "../config/host-port.ts";
import type { ResolvedConfig } from "../config/resolve-config.ts";
import { ensureDemoData } from "../demo/ensure-demo-data.ts";
import { formatDemoBanner } from "../demo/format-demo-banner.ts";
import { reloadOauthKeys } from "../operations/reload-oauth-keys.ts";
import { reloadTls } from "../operations/reload-tls.ts";
import { createServerMetrics, type ServerMetrics } from "../operations/server-metrics.ts";
import { type AdminServer, startAdminServer } from "../operations/start-admin-server.ts";
import { dropPrivileges } from "../serving/drop-privileges.ts";
import { createJsonLogger, type Logger } from "../serving/json-logger.ts";
import { listenAll } from "../serving/listen-all.ts";
import { logServerEvents } from "../serving/log-server-events.ts";
import { type PreparedServer, prepareServer } from "../serving/prepare-server.ts";
import { startWebmail, type Webmail } from "../serving/start-webmail.ts";
import { createJwtTokenValidator, type JwtTokenValidator } from "../users/jwt-token-validator.ts";
import { openUserSource, type UserSource } from "../users/open-user-source.ts";

/**
 * Runs the server until SIGTERM or SIGINT, and resolves to the exit code:
 * 1. the demo data, when the demo preset is on;
 * 2. users file, certificate, Maildir root: all checked (`prepareServer`), else exit 2;
 * 3. every listener bound, and the webmail page with `--web`, else exit 3 (a `--web`
 *    address off loopback without a certificate is exit 2); then `--user` (exit 4 when that
 *    fails);
 * 4. SIGHUP reloads the certificate and key, the users file and the OAuth JWKS; SIGTERM/SIGINT close with the grace period (exit 0),
 *    and a second one exits at once (exit 1).
 *
 * Logs go to stdout as JSON lines; the demo banner goes to `stderr`.
 */
export async function runServer(options: {
  resolved: ResolvedConfig;
  version: string;
  cwd: string;
  stderr: (text: string) => void;
}): Promise<ExitCode> {
  const { resolved, version } = options;
  const { config, demoDir } = resolved;
  const logger = createJsonLogger({ level: config.logLevel });
  const demo = demoDir === undefined ? null : await createDemoData(demoDir);
  const prepared = await prepareServer(config);
  for (const warning of [...resolved.warnings, ...prepared.warnings]) {
    logger.log("warn", "config-warning", { message: warning });
  }
  const users = openUserSource({ config, users: prepared.users, logger });
  const unavailable = await users.check();
  if (unavailable !== null) {
    logger.log("warn", "user-source-unavailable", {
      message: `${unavailable}; logins get -ERR [SYS/TEMP] until it answers`,
    });
  }
  // Counted only where they can be read: without the admin listener nothing serves /metrics,
  // and every event would feed counters (and a GC observer) for nobody.
  const metrics = config.adminListen === undefined ? null : createServerMetrics();
  const tokenValidator =
    config.oauth === undefined ? undefined : await startTokenValidator(config.oauth);
  const server = createServer(
    prepared,
    users.authenticator,
    logger,
    metrics,
    tokenValidator?.validate,
  );
  let listeners: Awaited<ReturnType<typeof listenAll>>;
  let webmail: Webmail | null = null;
  let admin: AdminServer | null = null;
  const lifecycle = { stopping: false };
  try {
    listeners = await listenAll({
      server,
      listen: config.listen,
      tlsListen: config.tlsListen,
      hasCertificate: prepared.tls !== undefined,
    });
    for (const listener of listeners) {
      logger.log("info", "listening", {
        address: listener.address,
        port: listener.port,
        tls: listener.tls,
      });
    }
    // Before --user: the page's port may need privileges too.
    if (config.web !== undefined) {
      webmail = await startWebmail({
        web: config.web,
        listeners,
        tls: prepared.tls,
        hostname: prepared.hostname,
        onEvent: (event) => logger.log("debug", `web-${event.type}`, { ...event }),
      });
      logger.log("info", "webmail", { url: webmail.url });
    }
    if (config.adminListen !== undefined && metrics !== null) {
      admin = await startAdmin({ listen: config.adminListen, metrics, server, lifecycle });
      logger.log("info", "admin-listening", { address: admin.address, port: admin.port });
    }
    if (config.user !== undefined) {
      const user = dropPrivileges(config.user);
      logger.log("info", "privileges-dropped", { user: user.name, uid: user.uid, gid: user.gid });
    } else if (process.getuid?.() === 0) {
      logger.log("warn", "running-as-root", {
        message: "every Maildir is read and written as root; use --user NAME",
      });
    }
  } catch (error) {
    await webmail?.bridge.close();
    await server.close({ graceMs: 0 });
    await admin?.close();
    await users.close();
    throw error;
  }
  const stopped = handleSignals({
    server,
    webmail,
    logger,
    config,
    users,
    tokenValidator,
    lifecycle,
  });
  // The admin listener answers /health (503 "stopping") until the POP3 side is done.
  void stopped.then(() => Promise.all([admin?.close(), users.close().catch(() => {})]));
  logger.log("info", "started", {
    version,
    pid: process.pid,
    listeners: listeners.map(
      (l) => `${formatHostPort({ host: l.address, port: l.port })} ${l.tls}`,
    ),
    ...users.summary(),
    allowPlaintextAuth: config.allowPlaintextAuth,
    proxyProtocolTrusted: config.proxyProtocol.trusted,
    demo: demoDir !== undefined,
    ...(webmail === null ? {} : { webmail: webmail.url }),
  });
  if (demoDir !== undefined && demo !== null) {
    const listener =
      listeners.find((l) => l.tls !== "implicit") ?? (listeners[0] as (typeof listeners)[0]);
    options.stderr(
      formatDemoBanner({
        dir: demoDir,
        cwd: options.cwd,
        listener,
        created: demo.created,
        webmailUrl: webmail?.url,
      }),
    );
  }
  return stopped;
}

/** The demo's files, or exit 2 naming the folder (read-only checkout, a file in the way). */
async function createDemoData(dir: string): Promise<{ created: string[] }> {
  try {
    return await ensureDemoData(dir);
  } catch (error) {
    throw new CliError({
      exitCode: ExitCode.config,
      message: `demo: cannot create the demo data in ${dir}: ${(error as Error).message} (see --data-dir)`,
    });
  }
}

/** The admin listener, or exit 3 naming the address, as for a POP3 listener. */
async function startAdmin(options: {
  listen: NonNullable<PreparedServer["config"]["adminListen"]>;
  metrics: ServerMetrics;
  server: Pop3Server;
  lifecycle: { readonly stopping: boolean };
}): Promise<AdminServer> {
  const { listen, metrics, server, lifecycle } = options;
  try {
    return await startAdminServer({
      listen,
      metrics,
      health: () => ({ serving: !lifecycle.stopping, connections: server.connectionCount }),
    });
  } catch (error) {
    throw new CliError({
      exitCode: ExitCode.listen,
      message: `apop-server: cannot listen on ${formatHostPort(listen)} (admin): ${(error as Error).message}`,
    });
  }
}

/** The JWT validator of the `oauth` settings; a JWKS file that cannot be read stops the start. */
async function startTokenValidator(
  oauth: NonNullable<PreparedServer["config"]["oauth"]>,
): Promise<JwtTokenValidator> {
  try {
    return await createJwtTokenValidator(oauth);
  } catch (error) {
    throw new CliError({
      exitCode: ExitCode.config,
      message: `config: oauth.jwks ${oauth.jwks}: ${(error as Error).message}`,
    });
  }
}

function createServer(
  prepared: PreparedServer,
  authenticator: Authenticator,
  logger: Logger,
  metrics: ServerMetrics | null,
  tokenValidator: TokenValidator | undefined,
): Pop3Server {
  const { config } = prepared;
  const { limits } = config;
  try {
    return createPop3Server({
      store: countStore(
        metrics,
        createMaildirStore({
          root: config.maildirRoot,
          // A Maildir that Dovecot served keeps the UIDLs its clients know (docs/scaling.md).
          uidSource: dovecotUidlistSource(),
          dovecotSessionLock:
            config.dovecotSessionLock === "off" ? false : config.dovecotSessionLock,
          missingMailbox: config.missingMailbox,
          lock: { staleAfterMs: config.lockStaleSeconds * 1000 },
        }),
      ),
      authenticator: metrics === null ? authenticator : metrics.countUserSource(authenticator),
      ...(prepared.tls === undefined ? {} : { tls: prepared.tls }),
      allowPlaintextAuth: config.allowPlaintextAuth,
      clearSecretsChallengeOnly: config.clearSecretsChallengeOnly,
      language: config.language,
      // OAUTHBEARER and XOAUTH2 (RFC 7628): only those the config names, only with a validator.
      ...(tokenValidator === undefined
        ? {}
        : {
            tokenValidator,
            saslMechanisms: DEFAULT_SASL_SERVER_MECHANISMS.filter(
              (mechanism) =>
                mechanism.needsTokenValidator !== true ||
                (config.oauth?.mechanisms ?? []).some((name) => name === mechanism.name),
            ),
          }),
      serverName: prepared.hostname,
      limits: {
        idleTimeoutMs: limits.idleTimeoutSeconds * 1000,
        authorizationTimeoutMs: limits.authorizationTimeoutSeconds * 1000,
        loginDeadlineMs: limits.loginDeadlineSeconds * 1000,
        authFailures: limits.authFailures,
        badCommands: limits.badCommands,
      },
      authFailureDelayMs: Math.round(limits.authFailureDelaySeconds * 1000),
      // LOGIN-DELAY (RFC 2449 section 6.5): kept in each Maildir, so it holds across processes.
      ...(limits.loginDelaySeconds > 0 ? { loginDelay: limits.loginDelaySeconds } : {}),
      maxConnections: limits.maxConnections,
      maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
      proxyProtocol: {
        trusted: config.proxyProtocol.trusted,
        headerTimeoutMs: Math.round(config.proxyProtocol.headerTimeoutSeconds * 1000),
      },
      maxPreLoginConnections: limits.maxPreLoginConnections,
      ipv6PrefixLength: limits.ipv6PrefixLength,
      onEvent:
        metrics === null
          ? logServerEvents(logger)
          : both(logServerEvents(logger), metrics.onEvent),
    });
  } catch (error) {
    // The schema checks what @apop/node checks; this is a safety net, worded the same way.
    throw new CliError({
      exitCode: ExitCode.config,
      message: `config: ${(error as Error).message}`,
    });
  }
}

/** SIGHUP reloads; the first SIGTERM/SIGINT closes gracefully, a second one exits at once. */
function handleSignals(options: {
  server: Pop3Server;
  webmail: Webmail | null;
  logger: Logger;
  config: PreparedServer["config"];
  users: UserSource;
  tokenValidator: JwtTokenValidator | undefined;
  /** Set once a shutdown starts, for /health. */
  lifecycle: { stopping: boolean };
}): Promise<ExitCode> {
  const { server, webmail, logger, config, users, tokenValidator, lifecycle } = options;
  // Reloads run one after the other, so two quick SIGHUPs cannot apply in the wrong order.
  let reloading = Promise.resolve();
  process.on("SIGHUP", () => {
    logger.log("info", "reload", { signal: "SIGHUP" });
    reloading = reloading
      .then(() => {
        const { cert, key } = config.tls ?? {};
        if (cert !== undefined && key !== undefined) {
          reloadTls({ files: { cert, key }, server, logger });
        }
      })
      .then(() => users.reload())
      .then(
        () => {},
        (error: unknown) => logger.log("error", "users-reload-failed", { error }),
      )
      .then(() => reloadOauthKeys({ tokenValidator, jwks: config.oauth?.jwks, logger }));
  });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.log("warn", "shutdown-forced", { signal, connections: server.connectionCount });
        resolve(ExitCode.failure);
        return;
      }
      stopping = true;
      lifecycle.stopping = true;
      logger.log("info", "shutdown-started", {
        signal,
        graceSeconds: config.shutdownGraceSeconds,
        connections: server.connectionCount,
      });
      // Webmail sessions end at once, without QUIT: their marked deletes are not applied.
      Promise.all([
        server.close({ graceMs: config.shutdownGraceSeconds * 1000 }),
        webmail?.bridge.close(),
      ]).then(
        () => {
          logger.log("info", "shutdown", { signal });
          resolve(ExitCode.ok);
        },
        (error: unknown) => {
          logger.log("error", "shutdown-failed", { signal, error });
          resolve(ExitCode.failure);
        },
      );
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}

/** One event handler that calls each of `handlers` in turn. */
function countStore(metrics: ServerMetrics | null, store: MailStore): MailStore {
  return metrics === null ? store : metrics.countStore(store);
}

function both<T>(...handlers: ((event: T) => void)[]): (event: T) => void {
  return (event) => {
    for (const handler of handlers) handler(event);
  };
}
