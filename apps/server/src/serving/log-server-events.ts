import type { Pop3ServerEvent } from "@apop/node";
import type { Logger } from "./json-logger.ts";

/**
 * Turns `@apop/node`'s server events into log records: `connect`, `auth-ok` / `auth-failed`
 * (with the mechanism), `update`, `limit-exceeded`, and one `disconnect` per connection with
 * its reason, command counts, messages and octets sent. Per-command records are `debug`.
 *
 * A record below the logger's level is not even built (`Logger.enabled`): a session sends
 * a dozen events, and the default level writes none of them.
 *
 * No record carries a password, a digest or a SASL response: core's driver drops the login
 * proof and redacts command text; an unknown command's word is dropped here too, since
 * it may be a password typed at the wrong prompt.
 */
export function logServerEvents(logger: Logger): (event: Pop3ServerEvent) => void {
  // Nothing is kept per connection here: `connection-closed` carries what the session did.
  return (event) => {
    switch (event.type) {
      case "connection-opened":
        if (logger.enabled("info"))
          logger.log("info", "connect", {
            connection: event.connection,
            remote: event.remoteAddress,
            remotePort: event.remotePort,
            localPort: event.localPort,
            tls: event.implicitTls ? "implicit" : "none",
            ...(event.proxiedBy === null ? {} : { proxiedBy: event.proxiedBy }),
          });
        return;
      case "proxy-refused":
        logger.log("warn", "proxy-refused", {
          remote: event.remoteAddress,
          remotePort: event.remotePort,
          refusal: event.refusal,
          detail: event.detail,
        });
        return;
      case "connection-refused":
        logger.log("warn", "connection-refused", {
          remote: event.remoteAddress,
          remotePort: event.remotePort,
          limit: event.limit,
        });
        return;
      case "session-event":
        logSessionEvent(logger, event);
        return;
      case "connection-closed": {
        const level = event.reason === "store-failed" ? "warn" : "info";
        if (!logger.enabled(level)) return;
        logger.log(level, "disconnect", {
          connection: event.connection,
          remote: event.remoteAddress,
          remotePort: event.remotePort,
          user: event.user,
          reason: event.reason,
          secure: event.secure,
          error: event.error,
          bytesIn: event.stats?.bytesRead ?? 0,
          bytesOut: event.stats?.bytesWritten ?? 0,
          commands: event.commands,
          messagesSent: event.messagesSent,
          messageOctets: event.messageOctets,
          deleted: event.deleted,
        });
        return;
      }
      case "connection-failed":
        logger.log("error", "connection-failed", {
          connection: event.connection,
          remote: event.remoteAddress,
          error: event.error,
        });
        return;
      case "listener-error":
        logger.log("error", "listener-error", { error: event.error });
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown server event ${JSON.stringify(unreachable)}`);
      }
    }
  };
}

function logSessionEvent(
  logger: Logger,
  { connection, remoteAddress, event }: Extract<Pop3ServerEvent, { type: "session-event" }>,
): void {
  switch (event.type) {
    case "command-received":
      if (logger.enabled("debug"))
        logger.log("debug", "command", { connection, command: event.text });
      return;
    case "command-rejected":
      // Core names the kind of refusal, never the line's text (it may be a stray password).
      logger.log("debug", "command-rejected", { connection, reason: event.reason });
      return;
    case "login-requested":
      if (logger.enabled("debug"))
        logger.log("debug", "auth-attempt", {
          connection,
          user: event.user,
          mechanism: event.mechanism,
        });
      return;
    case "login-succeeded":
      if (logger.enabled("info"))
        logger.log("info", "auth-ok", {
          connection,
          user: event.user,
          mechanism: event.mechanism,
          messages: event.messages,
        });
      return;
    case "login-failed":
      // A wrong password is the client's business; a store that fails needs an operator.
      // The client's address is on the line itself, so fail2ban needs no other record.
      logger.log(event.reason.startsWith("sys-") ? "error" : "warn", "auth-failed", {
        connection,
        remote: remoteAddress,
        user: event.user,
        mechanism: event.mechanism,
        reason: event.reason,
        ...(event.detail === undefined ? {} : { detail: event.detail }),
        ...(event.delayMs === undefined ? {} : { delayMs: event.delayMs }),
      });
      return;
    case "credential-requested":
    case "token-requested":
      // SCRAM looking the user up, OAuth checking a token, mid-exchange; the outcome is
      // logged as auth-ok/auth-failed (or command-rejected with the validator's reason).
      return;
    case "message-sent":
      if (logger.enabled("debug"))
        logger.log("debug", "message-sent", {
          connection,
          message: event.message,
          octets: event.octets,
        });
      return;
    case "tls-requested":
      logger.log("debug", "stls", { connection });
      return;
    case "update-applied": {
      // A QUIT that deletes nothing is routine; a failed UPDATE loses the user's deletions.
      const level = !event.ok ? "error" : event.deleted > 0 ? "info" : "debug";
      if (!logger.enabled(level)) return;
      logger.log(level, "update", {
        connection,
        deleted: event.deleted,
        ok: event.ok,
      });
      return;
    }
    case "limit-exceeded":
      logger.log("warn", "limit-exceeded", { connection, limit: event.limit });
      return;
    case "message-requested":
    case "update-requested":
    case "session-closed":
      // Their outcome is logged: message-sent, update, disconnect.
      return;
    default: {
      const unreachable: never = event;
      throw new Error(`unknown session event ${JSON.stringify(unreachable)}`);
    }
  }
}
