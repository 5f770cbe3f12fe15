import {
  apopHostNameProblem,
  DEFAULT_LANGUAGE,
  DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  isIpv6PrefixLength,
  LANGUAGES,
  MIN_IDLE_TIMEOUT_MS,
  TrustedSources,
} from "@apop/core/internal";
import { DEFAULT_STALE_AFTER_MS, DOVECOT_SESSION_LOCK } from "@apop/maildir";
import { z } from "zod";
import { POSTGRES_DEFAULTS } from "../users/postgres-user-source.ts";
import { parseHostPort } from "./host-port.ts";
import { LIMIT_DEFAULTS, SHUTDOWN_GRACE_DEFAULT_SECONDS } from "./limit-defaults.ts";
import { settingSources } from "./settings.ts";

/** The three log levels below `error`, and `error`; each includes the ones after it. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const PORT_PROBLEM = "expected a port number from 0 to 65535 (0 picks a free port)";

const port = z
  .number({ error: PORT_PROBLEM })
  .int({ error: PORT_PROBLEM })
  .min(0, { error: PORT_PROBLEM })
  .max(65535, { error: PORT_PROBLEM });

/** `"HOST:PORT"` or `{ "host": ..., "port": ... }`; a string is parsed into the object. */
const listener = z.preprocess(
  (value, ctx) => {
    if (typeof value !== "string") return value;
    const parsed = parseHostPort(value);
    if ("error" in parsed) {
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  },
  z.strictObject(
    { host: z.string({ error: "expected a host name or address" }).min(1).optional(), port },
    { error: 'expected "HOST:PORT" or { "host": ..., "port": ... }' },
  ),
);

/** One listener or a list; flags and the environment always give a list. */
const listeners = z
  .preprocess(
    (value) => (value === undefined || Array.isArray(value) ? value : [value]),
    z.array(listener),
  )
  .default([]);

/** A path that must be given somewhere: the problem says where. */
const requiredPath = (key: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined ? `required: set ${settingSources(key)}` : "expected a path",
  });

const optionalPath = z.string({ error: "expected a path" }).min(1, { error: "expected a path" });

const wholeNumber = (options: { min: number; default: number; why?: string }) => {
  const problem = `expected a whole number of at least ${options.min}${options.why ? ` (${options.why})` : ""}`;
  return z
    .number({ error: problem })
    .int({ error: problem })
    .min(options.min, { error: problem })
    .default(options.default);
};

const seconds = (options: { max: number; default: number }) => {
  const problem = `expected a number of seconds from 0 to ${options.max}`;
  return z
    .number({ error: problem })
    .min(0, { error: problem })
    .max(options.max, { error: problem })
    .default(options.default);
};

const limits = z
  .strictObject({
    idleTimeoutSeconds: wholeNumber({
      min: MIN_IDLE_TIMEOUT_MS / 1000,
      default: LIMIT_DEFAULTS.idleTimeoutSeconds,
      why: "RFC 1939 section 3: the autologout timer is at least 10 minutes",
    }),
    authorizationTimeoutSeconds: wholeNumber({
      min: 1,
      default: LIMIT_DEFAULTS.authorizationTimeoutSeconds,
    }),
    loginDeadlineSeconds: wholeNumber({ min: 1, default: LIMIT_DEFAULTS.loginDeadlineSeconds }),
    maxConnections: wholeNumber({ min: 1, default: LIMIT_DEFAULTS.maxConnections }),
    maxConnectionsPerAddress: wholeNumber({
      min: 1,
      default: LIMIT_DEFAULTS.maxConnectionsPerAddress,
    }),
    maxPreLoginConnections: wholeNumber({ min: 1, default: LIMIT_DEFAULTS.maxPreLoginConnections }),
    ipv6PrefixLength: z
      .number({ error: "expected a prefix length from 1 to 128" })
      .refine(isIpv6PrefixLength, { error: "expected a prefix length from 1 to 128" })
      .default(LIMIT_DEFAULTS.ipv6PrefixLength),
    authFailureDelaySeconds: seconds({ max: 60, default: LIMIT_DEFAULTS.authFailureDelaySeconds }),
    loginDelaySeconds: wholeNumber({ min: 0, default: LIMIT_DEFAULTS.loginDelaySeconds }),
    authFailures: wholeNumber({ min: 1, default: LIMIT_DEFAULTS.authFailures }),
    badCommands: wholeNumber({ min: 1, default: LIMIT_DEFAULTS.badCommands }),
  })
  .default({ ...LIMIT_DEFAULTS });

/**
 * `PORT` alone, `HOST:PORT`, or the object form. Without a host it binds loopback (the
 * metrics are for the operator); `*:PORT` says every interface, on purpose.
 */
const adminListener = z.preprocess((value) => {
  if (typeof value !== "string") return value;
  if (/^\d+$/.test(value)) return { port: Number(value) };
  return value.startsWith("*:") ? `[::]:${value.slice(2)}` : value;
}, listener);

const oauthText = (what: string) =>
  z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });

/** OAUTHBEARER (RFC 7628) and XOAUTH2: JWTs checked against a JWKS. Off unless set. */
const oauth = z.strictObject({
  jwks: oauthText("a JWKS file (absolute path) or an https URL").refine(
    (value) => value.startsWith("/") || /^https?:\/\//i.test(value),
    { error: "expected a JWKS file (absolute path) or an https URL" },
  ),
  issuer: oauthText("the issuer (iss)").optional(),
  audience: oauthText("the audience (aud)").optional(),
  claim: oauthText("a claim name").optional(),
  mechanisms: z
    .array(z.enum(["OAUTHBEARER", "XOAUTH2"], { error: "expected OAUTHBEARER or XOAUTH2" }))
    .min(1, { error: "expected OAUTHBEARER, XOAUTH2 or both" })
    .default(["OAUTHBEARER", "XOAUTH2"]),
});

const positiveSeconds = (fallback: number) => {
  const problem = "expected a number of seconds above 0, at most 600";
  return z
    .number({ error: problem })
    .gt(0, { error: problem })
    .max(600, { error: problem })
    .default(fallback);
};

/** Users in PostgreSQL (instead of `users`): on when `url` is set. */
const postgres = z
  .strictObject({
    url: z
      .string({ error: "expected a postgresql:// URL" })
      .min(1, { error: "expected a postgresql:// URL" })
      .optional(),
    query: z
      .string({ error: "expected an SQL query" })
      .refine((sql) => sql.includes("$1"), {
        error: "expected an SQL query with $1 where the user name goes (a bind parameter)",
      })
      .default(POSTGRES_DEFAULTS.query),
    poolSize: wholeNumber({ min: 1, default: POSTGRES_DEFAULTS.poolSize }),
    connectTimeoutSeconds: positiveSeconds(POSTGRES_DEFAULTS.connectTimeoutSeconds),
    statementTimeoutSeconds: positiveSeconds(POSTGRES_DEFAULTS.statementTimeoutSeconds),
  })
  .default({
    query: POSTGRES_DEFAULTS.query,
    poolSize: POSTGRES_DEFAULTS.poolSize,
    connectTimeoutSeconds: POSTGRES_DEFAULTS.connectTimeoutSeconds,
    statementTimeoutSeconds: POSTGRES_DEFAULTS.statementTimeoutSeconds,
  });

/** PROXY protocol: off unless some balancer is trusted. Core checks each prefix. */
const proxyProtocol = z
  .strictObject({
    trusted: z
      .array(
        z.string().refine(
          (source) => {
            try {
              return !new TrustedSources([source]).empty;
            } catch {
              return false;
            }
          },
          { error: "expected an IP address or prefix (10.0.0.0/8, fd00::/8)" },
        ),
        { error: "expected a list of IP addresses or prefixes" },
      )
      .default([]),
    headerTimeoutSeconds: z
      .number({ error: "expected a number of seconds above 0, at most 60" })
      .gt(0, { error: "expected a number of seconds above 0, at most 60" })
      .max(60, { error: "expected a number of seconds above 0, at most 60" })
      .default(DEFAULT_PROXY_HEADER_TIMEOUT_MS / 1000),
  })
  .default({ trusted: [], headerTimeoutSeconds: DEFAULT_PROXY_HEADER_TIMEOUT_MS / 1000 });

/**
 * The server's configuration, as the JSON config file holds it after the environment and the
 * flags are laid over it (README.md, "Configuration"). Unknown keys are problems, so a typo is
 * caught at start rather than silently ignored.
 */
export const serverConfigSchema = z
  .strictObject({
    listen: listeners,
    tlsListen: listeners,
    web: listener.optional(),
    tls: z.strictObject({ cert: optionalPath.optional(), key: optionalPath.optional() }).optional(),
    users: optionalPath.optional(),
    postgres,
    dovecotSessionLock: z
      .string({ error: "expected a file name inside the Maildir, or off" })
      .regex(/^(?!\.\.?$)[^/\0]+$/, { error: "expected a file name inside the Maildir, or off" })
      .default(DOVECOT_SESSION_LOCK),
    maildirRoot: requiredPath("maildirRoot"),
    missingMailbox: z
      .enum(["refuse", "empty", "create"], { error: "expected refuse, empty or create" })
      .default("refuse"),
    lockStaleSeconds: wholeNumber({
      min: 10,
      default: DEFAULT_STALE_AFTER_MS / 1000,
      why: "a live server refreshes its locks every few seconds",
    }),
    allowPlaintextAuth: z.boolean({ error: "expected true or false" }).default(false),
    clearSecretsChallengeOnly: z.boolean({ error: "expected true or false" }).default(false),
    oauth: oauth.optional(),
    language: z
      .enum(LANGUAGES.map(({ tag }) => tag) as [string, ...string[]], {
        error: `expected one of ${LANGUAGES.map(({ tag }) => tag).join(", ")}`,
      })
      .default(DEFAULT_LANGUAGE),
    user: z
      .string({ error: "expected a system user name" })
      .min(1, { error: "expected a system user name" })
      .optional(),
    // It goes into the APOP timestamp `<clock.random@hostname>`; core's rule decides.
    hostname: z
      .string({ error: "expected a host name" })
      .superRefine((name, ctx) => {
        const problem = apopHostNameProblem(name);
        if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    logLevel: z.enum(LOG_LEVELS, { error: "expected debug, info, warn or error" }).default("info"),
    limits,
    adminListen: adminListener.optional(),
    proxyProtocol,
    shutdownGraceSeconds: seconds({ max: 3600, default: SHUTDOWN_GRACE_DEFAULT_SECONDS }),
  })
  .superRefine((config, ctx) => {
    if (config.users !== undefined && config.postgres.url !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["postgres", "url"],
        message: "users come from a file or from PostgreSQL, not both: drop users or postgres.url",
      });
    }
    if (config.listen.length === 0 && config.tlsListen.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["listen"],
        message: "no listener: give --listen HOST:PORT or --tls-listen HOST:PORT",
      });
    }
    const tls = config.tls ?? {};
    if ((tls.cert === undefined) !== (tls.key === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["tls", tls.cert === undefined ? "cert" : "key"],
        message: `required with tls.${tls.cert === undefined ? "key" : "cert"}: a certificate needs its key`,
      });
    }
    if (config.tlsListen.length > 0 && tls.cert === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["tlsListen"],
        message: "implicit TLS needs a certificate: give --tls-cert FILE and --tls-key FILE",
      });
    }
  });

export type ServerConfig = z.output<typeof serverConfigSchema>;

/**
 * "users: required" when neither a users file nor `postgres.url` is given, checked on the
 * merged layers apart from the schema: zod runs an object's refinements only once every field
 * is fine, and this problem belongs in the same list as the others.
 */
export function missingUserSource(merged: Readonly<Record<string, unknown>>): string | null {
  const postgres = merged.postgres;
  const url =
    typeof postgres === "object" && postgres !== null
      ? (postgres as Record<string, unknown>).url
      : undefined;
  return merged.users === undefined && url === undefined
    ? `required: set ${settingSources("users")}`
    : null;
}
