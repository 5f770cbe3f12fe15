import { type Authenticator, type MailStore, type ServeEvent, StoreError } from "@apop/core";
import type { Pop3ServerEvent } from "@apop/node";
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/**
 * The server's Prometheus metrics, fed by the same events as the logs. Labels are only ever
 * small fixed sets (a command keyword, a mechanism, a reason): never a user name or an
 * address, so a scan from many addresses cannot blow up the number of series.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  /** Feed every server event here (beside the logger). */
  readonly onEvent: (event: Pop3ServerEvent) => void;
  /** The user source, counting its failures (a database down or slow). */
  readonly countUserSource: (authenticator: Authenticator) => Authenticator;
  /** The mail store, counting its failures to open a maildrop (a busy one is no failure). */
  readonly countStore: (store: MailStore) => MailStore;
  /** A SIGHUP reload of the certificate or users: `ok` or `failed`. */
  readonly reload: (what: "tls" | "users", result: "ok" | "failed") => void;
}

export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sessionsOpen = new Gauge({
    name: "apop_sessions_open",
    help: "Connections open now (including those in their TLS handshake)",
    registers,
  });
  const sessions = new Counter({
    name: "apop_sessions_total",
    help: "Connections admitted",
    registers,
  });
  const refused = new Counter({
    name: "apop_connections_refused_total",
    help: "Connections refused over a cap, by cap",
    labelNames: ["limit"],
    registers,
  });
  const proxyRefused = new Counter({
    name: "apop_proxy_refusals_total",
    help: "Connections closed over their PROXY header, by refusal",
    labelNames: ["refusal"],
    registers,
  });
  const logins = new Counter({
    name: "apop_logins_total",
    help: "Login attempts by mechanism and result (ok, or the -ERR reason: auth, in-use, sys-temp, ...)",
    labelNames: ["mechanism", "result"],
    registers,
  });
  const commands = new Counter({
    name: "apop_commands_total",
    help: "Commands received, by keyword",
    labelNames: ["command"],
    registers,
  });
  const octetsSent = new Counter({
    name: "apop_octets_sent_total",
    help: "Octets sent to clients (above TLS), counted when each connection closes",
    registers,
  });
  const messagesSent = new Counter({
    name: "apop_messages_sent_total",
    help: "Messages sent with RETR or TOP",
    registers,
  });
  const lockRefusals = new Counter({
    name: "apop_lock_refusals_total",
    help: "Logins refused because another session holds the maildrop ([IN-USE])",
    registers,
  });
  const penalties = new Counter({
    name: "apop_penalties_total",
    help: "Connections closed for abuse, by limit (auth failures, bad commands, timeouts)",
    labelNames: ["limit"],
    registers,
  });
  const tlsHandshakes = new Counter({
    name: "apop_tls_handshakes_total",
    help: "TLS handshakes (implicit TLS or STLS), by result",
    labelNames: ["result"],
    registers,
  });
  const storeErrors = new Counter({
    name: "apop_store_errors_total",
    help: "Mail store failures: a maildrop that could not be opened (but for [IN-USE]), read or updated",
    registers,
  });
  const userSourceErrors = new Counter({
    name: "apop_user_source_errors_total",
    help: "User source failures (users file or database): the login got -ERR [SYS/TEMP]",
    registers,
  });
  const reloads = new Counter({
    name: "apop_reloads_total",
    help: "SIGHUP reloads, by what and result",
    labelNames: ["what", "result"],
    registers,
  });
  for (const result of ["ok", "failed"]) tlsHandshakes.inc({ result }, 0);

  const onSessionEvent = (event: ServeEvent): void => {
    switch (event.type) {
      case "command-received":
        commands.inc({ command: event.keyword });
        return;
      case "login-succeeded":
        logins.inc({ mechanism: event.mechanism, result: "ok" });
        return;
      case "login-failed":
        logins.inc({ mechanism: event.mechanism, result: event.reason });
        if (event.reason === "in-use") lockRefusals.inc();
        return;
      case "message-sent":
        messagesSent.inc();
        return;
      case "update-applied":
        if (!event.ok) storeErrors.inc();
        return;
      case "limit-exceeded":
        penalties.inc({ limit: event.limit });
        return;
      default:
        return;
    }
  };

  return {
    registry,
    countUserSource: (authenticator) => ({
      // A getter: the user file, reloaded, may change whether clear secrets are held.
      get clearSecrets(): boolean {
        return authenticator.clearSecrets !== false;
      },
      lookup: async (user) => {
        try {
          return await authenticator.lookup(user);
        } catch (error) {
          userSourceErrors.inc();
          throw error;
        }
      },
    }),
    countStore: (store) => ({
      ...(store.keepsLastLogin === undefined ? {} : { keepsLastLogin: store.keepsLastLogin }),
      open: async (user) => {
        try {
          return await store.open(user);
        } catch (error) {
          if (!(StoreError.isInstance(error) && error.code === "in-use")) storeErrors.inc();
          throw error;
        }
      },
    }),
    reload: (what, result) => reloads.inc({ what, result }),
    onEvent: (event) => {
      switch (event.type) {
        case "connection-opened":
          sessions.inc();
          sessionsOpen.inc();
          return;
        case "connection-refused":
          refused.inc({ limit: event.limit });
          return;
        case "proxy-refused":
          proxyRefused.inc({ refusal: event.refusal });
          return;
        case "session-event":
          onSessionEvent(event.event);
          return;
        case "connection-closed":
          sessionsOpen.dec();
          octetsSent.inc(event.stats?.bytesWritten ?? 0);
          if (event.reason === "tls-failed") tlsHandshakes.inc({ result: "failed" });
          else if (event.secure) tlsHandshakes.inc({ result: "ok" });
          if (event.reason === "store-failed") storeErrors.inc();
          return;
        default:
          return;
      }
    },
  };
}
