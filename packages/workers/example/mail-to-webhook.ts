/**
 * An example Worker: on a schedule (a cron trigger), fetch the new mail of one POP3 mailbox
 * and POST each message, byte for byte, to a URL.
 *
 * A message is deleted on the server only after the URL answered 2xx, and deletions take
 * effect only at QUIT (RFC 1939 section 6): a run that fails midway leaves the rest of the
 * mail for the next run and loses nothing. Delivery is at least once (a message whose POST
 * succeeded can come again when the run breaks before QUIT): the receiver deduplicates by the
 * `X-Pop3-Uid` header (the UIDL of RFC 1939 section 7).
 *
 * wrangler.toml: `triggers.crons = ["0 * * * *"]`, the settings below as `vars`, and the
 * password as a secret (`wrangler secret put POP3_PASSWORD`).
 */
import { connect, type TlsMode } from "@apop/workers";

export interface Env {
  /** The POP3 server's host name; its certificate must name it. */
  readonly POP3_HOST: string;
  /** Default 110 for `starttls`, 995 for `implicit`. */
  readonly POP3_PORT?: string;
  /** `starttls` (default) or `implicit`. Never clear text: the password must not travel bare. */
  readonly POP3_TLS?: string;
  readonly POP3_USER: string;
  readonly POP3_PASSWORD: string;
  /** Where each message goes, as `message/rfc822`. */
  readonly WEBHOOK_URL: string;
  /** Sent as `Authorization: Bearer ...` when set. */
  readonly WEBHOOK_TOKEN?: string;
  /** Most messages per run; the rest wait for the next. Default 50. */
  readonly MAX_MESSAGES?: string;
}

/** What one run did. */
export interface PollResult {
  /** Messages on the server when the run started. */
  readonly found: number;
  /** Posted (2xx) and deleted. */
  readonly delivered: number;
  /** Why the run stopped early: the webhook's status, or nothing when it got through. */
  readonly stoppedBy: string | null;
}

/** The largest message taken: a Worker has 128 MB of memory and a message is held whole. */
const MAX_MESSAGE_OCTETS = 32 * 1024 * 1024;

/** One run: log in, post and delete each message in order, QUIT. */
export async function pollMailbox(env: Env): Promise<PollResult> {
  const tls = (env.POP3_TLS ?? "starttls") as TlsMode;
  if (tls !== "starttls" && tls !== "implicit") {
    throw new Error(`POP3_TLS must be starttls or implicit, got ${env.POP3_TLS}`);
  }
  const maxMessages = Number(env.MAX_MESSAGES ?? 50);
  const client = await connect({
    host: env.POP3_HOST,
    ...(env.POP3_PORT === undefined ? {} : { port: Number(env.POP3_PORT) }),
    tls,
    maxMessageOctets: MAX_MESSAGE_OCTETS,
  });
  try {
    await client.login({ user: env.POP3_USER, password: env.POP3_PASSWORD });
    const messages = await client.uidl();
    let delivered = 0;
    let stoppedBy: string | null = null;
    for (const { message, uid } of messages.slice(0, maxMessages)) {
      // Core's bytes live in a plain ArrayBuffer (never a shared one), which is what fetch takes.
      const body = (await client.retrBytes(message)) as Uint8Array<ArrayBuffer>;
      const response = await fetch(env.WEBHOOK_URL, {
        method: "POST",
        headers: {
          "content-type": "message/rfc822",
          "x-pop3-uid": uid,
          ...(env.WEBHOOK_TOKEN === undefined
            ? {}
            : { authorization: `Bearer ${env.WEBHOOK_TOKEN}` }),
        },
        body,
      });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer();
      if (!response.ok) {
        stoppedBy = `the webhook answered ${response.status}`;
        break;
      }
      await client.dele(message);
      delivered++;
    }
    await client.quit();
    return { found: messages.length, delivered, stoppedBy };
  } catch (error) {
    // No QUIT: nothing is deleted, every message is still there for the next run.
    await client.close().catch(() => {});
    throw error;
  }
}

export default {
  scheduled(
    _controller: { readonly cron: string; readonly scheduledTime: number },
    env: Env,
    ctx: { waitUntil(promise: Promise<unknown>): void },
  ): void {
    ctx.waitUntil(pollMailbox(env));
  },
};
