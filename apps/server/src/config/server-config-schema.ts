import { z } from "zod";
import { parseHostPort } from "./host-port.ts";
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
      min: 600,
      default: 600,
      why: "RFC 1939 section 3: the autologout timer is at least 10 minutes",
    }),
    loginTimeoutSeconds: wholeNumber({ min: 1, default: 60 }),
    maxConnections: wholeNumber({ min: 1, default: 1000 }),
    maxConnectionsPerAddress: wholeNumber({ min: 1, default: 20 }),
    authFailureDelaySeconds: seconds({ max: 60, default: 2 }),
    loginDelaySeconds: wholeNumber({ min: 0, default: 0 }),
    maxAuthFailures: wholeNumber({ min: 1, default: 3 }),
    maxBadCommands: wholeNumber({ min: 1, default: 10 }),
  })
  .default({
    idleTimeoutSeconds: 600,
    loginTimeoutSeconds: 60,
    maxConnections: 1000,
    maxConnectionsPerAddress: 20,
    authFailureDelaySeconds: 2,
    loginDelaySeconds: 0,
    maxAuthFailures: 3,
    maxBadCommands: 10,
  });

/**
 * The server's configuration, as the JSON config file holds it after the environment and the
 * flags are laid over it (README.md, "Configuration"). Unknown keys are problems, so a typo is
 * caught at start rather than silently ignored.
 */
export const serverConfigSchema = z
  .strictObject({
    listen: listeners,
    tlsListen: listeners,
    tls: z.strictObject({ cert: optionalPath.optional(), key: optionalPath.optional() }).optional(),
    users: requiredPath("users"),
    maildirRoot: requiredPath("maildirRoot"),
    missingMailbox: z
      .enum(["refuse", "empty", "create"], { error: "expected refuse, empty or create" })
      .default("refuse"),
    allowPlaintextAuth: z.boolean({ error: "expected true or false" }).default(false),
    clearSecretsChallengeOnly: z.boolean({ error: "expected true or false" }).default(false),
    user: z
      .string({ error: "expected a system user name" })
      .min(1, { error: "expected a system user name" })
      .optional(),
    // It goes into the APOP timestamp `<pid.clock@hostname>`, which clients check strictly.
    hostname: z
      .string({ error: "expected a host name" })
      .regex(/^[\x21-\x3b\x3d\x3f-\x7e]+$/, {
        error: "expected printable ASCII without spaces, '<' or '>'",
      })
      .optional(),
    logLevel: z.enum(LOG_LEVELS, { error: "expected debug, info, warn or error" }).default("info"),
    limits,
    shutdownGraceSeconds: seconds({ max: 3600, default: 30 }),
  })
  .superRefine((config, ctx) => {
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
