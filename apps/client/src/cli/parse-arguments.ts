import { parseArgs } from "node:util";
import { CliError } from "@apop/cli-kit";
import { DEFAULT_MAX_MESSAGE_OCTETS } from "@apop/core/internal";
import type { TlsMode } from "@apop/node";
import * as z from "zod/mini";
import { ExitCode } from "./exit-code.ts";

export const COMMANDS = ["fetch", "list", "check", "capa"] as const;
export type CommandName = (typeof COMMANDS)[number];

export const AUTH_METHODS = [
  "auto",
  "scram-sha-256-plus",
  "scram-sha-256",
  "apop",
  "user",
  "plain",
  "login",
  "cram-md5",
  "oauthbearer",
  "xoauth2",
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Everything a command needs from the command line, checked. */
export interface CliOptions {
  readonly command: CommandName;
  readonly url: string;
  readonly tls: TlsMode | undefined;
  readonly port: number | undefined;
  readonly ca: string | undefined;
  readonly insecure: boolean;
  readonly timeoutMs: number;
  readonly allowInsecureDowngrade: boolean;
  readonly user: string | undefined;
  readonly auth: AuthMethod | undefined;
  readonly allowPlaintext: boolean;
  /** `--oauth-token-command`: prints the bearer token for `--auth oauthbearer|xoauth2`. */
  readonly oauthTokenCommand: string | undefined;
  /** `--lang`: language ranges for LANG, comma-separated; else the locale decides. */
  readonly lang: string | undefined;
  /** `--retry N` (or 0 for `--no-retry`); undefined: core's default. */
  readonly retries: number | undefined;
  readonly state: string | undefined;
  readonly maildir: string | undefined;
  readonly mbox: string | undefined;
  readonly delete: boolean;
  /** `--max-message-size`: the most one message may take, in octets. */
  readonly maxMessageOctets: number;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly debug: boolean;
}

export type ParsedArguments =
  | { readonly kind: "help"; readonly topic: CommandName | undefined }
  | { readonly kind: "version" }
  | { readonly kind: "run"; readonly options: CliOptions };

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  tls: { type: "string" },
  port: { type: "string" },
  ca: { type: "string" },
  insecure: { type: "boolean" },
  timeout: { type: "string" },
  "allow-insecure-downgrade": { type: "boolean" },
  user: { type: "string" },
  auth: { type: "string" },
  "allow-plaintext": { type: "boolean" },
  "oauth-token-command": { type: "string" },
  lang: { type: "string" },
  retry: { type: "string" },
  "no-retry": { type: "boolean" },
  state: { type: "string" },
  maildir: { type: "string" },
  mbox: { type: "string" },
  delete: { type: "boolean" },
  keep: { type: "boolean" },
  "max-message-size": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  debug: { type: "boolean" },
} as const;

type OptionName = keyof typeof OPTIONS;

const EVERY_COMMAND: readonly OptionName[] = [
  "help",
  "tls",
  "port",
  "ca",
  "insecure",
  "timeout",
  "lang",
  "quiet",
  "debug",
];
const LOGIN: readonly OptionName[] = [
  "user",
  "auth",
  "allow-plaintext",
  "oauth-token-command",
  "allow-insecure-downgrade",
  "retry",
  "no-retry",
];

/** Which options each command takes; any other is a usage error, not silently ignored. */
const ALLOWED: Record<CommandName, ReadonlySet<OptionName>> = {
  fetch: new Set([
    ...EVERY_COMMAND,
    ...LOGIN,
    "state",
    "maildir",
    "mbox",
    "delete",
    "keep",
    "max-message-size",
  ]),
  list: new Set([...EVERY_COMMAND, ...LOGIN, "json"]),
  check: new Set([...EVERY_COMMAND, ...LOGIN, "state", "json"]),
  capa: new Set([...EVERY_COMMAND, "json"]),
};

// Each schema is built when its option is given, not when the program loads: building zod
// schemas costs more than the checks themselves, and a run gives few of these options.
const tlsSchema = () => z.enum(["implicit", "starttls", "none"]);
const authSchema = () => z.enum(AUTH_METHODS);
/** Digits as a number (the pattern lets nothing else through), then its bounds. */
const wholeNumber = (pattern: RegExp, bounds: z.ZodMiniType<number, number>) =>
  z.pipe(z.pipe(z.string().check(z.regex(pattern)), z.transform(Number)), bounds);
const retrySchema = () => wholeNumber(/^\d{1,2}$/, z.int().check(z.minimum(0), z.maximum(20)));
const portSchema = () => wholeNumber(/^\d{1,5}$/, z.int().check(z.minimum(1), z.maximum(65535)));
/** `100M`, `512K`, `2G` or plain octets: binary multiples, as `formatBytes` prints them. */
const sizeSchema = () =>
  z.pipe(
    z.pipe(
      z.string().check(z.regex(/^\d{1,15}[KMG]?$/i)),
      z.transform((text: string) => {
        const unit = text.at(-1)?.toUpperCase() ?? "";
        const power = "KMG".indexOf(unit) + 1;
        return Number(power === 0 ? text : text.slice(0, -1)) * 1024 ** power;
      }),
    ),
    z.int().check(z.minimum(1), z.maximum(Number.MAX_SAFE_INTEGER)),
  );
const timeoutSchema = () =>
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+(\.\d+)?$/)), z.transform(Number)),
    z.number().check(z.positive(), z.maximum(24 * 3600)),
  );

/**
 * Parses `apop <command> [options] <url>`. `--help`/`-h` anywhere (or `apop help [command]`)
 * asks for help, `--version`/`-V` for the version. Throws `CliError` exit 2 for an unknown
 * command or option, an option the command does not take, a bad value, a missing or extra
 * URL, and for contradictions (`--keep` with `--delete`, `--maildir` with `--mbox`).
 */
export function parseArguments(argv: readonly string[]): ParsedArguments {
  let parsed: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; args: string[] }>
  >;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw usage(`${(error as Error).message.replace(/\. To specify a positional.*$/s, "")}`);
  }
  const { values, positionals } = parsed;
  const [first, ...rest] = positionals;
  if (first === "help") return { kind: "help", topic: commandOrUndefined(rest[0]) };
  if (values.version === true) return { kind: "version" };
  if (first === undefined) {
    if (values.help === true) return { kind: "help", topic: undefined };
    throw usage("no command given: use fetch, list, check or capa (apop --help)");
  }
  if (!isCommand(first))
    throw usage(`unknown command ${JSON.stringify(first)}: use fetch, list, check or capa`);
  if (values.help === true) return { kind: "help", topic: first };

  for (const name of Object.keys(values) as OptionName[]) {
    if (name !== "version" && !ALLOWED[first].has(name))
      throw usage(`apop ${first} does not take --${name}`);
  }
  if (rest.length === 0)
    throw usage(`apop ${first} needs a URL, e.g. pop3s://user@mail.example.org`);
  if (rest.length > 1) throw usage(`apop ${first} takes one URL, got ${rest.length} arguments`);
  if (values.keep === true && values.delete === true)
    throw usage("--keep and --delete contradict each other");
  if (values.retry !== undefined && values["no-retry"] === true) {
    throw usage("--retry and --no-retry contradict each other");
  }
  if (values.maildir !== undefined && values.mbox !== undefined) {
    throw usage("--maildir and --mbox contradict each other: choose one");
  }

  return {
    kind: "run",
    options: {
      command: first,
      url: rest[0] as string,
      tls: check(tlsSchema, values.tls, "--tls must be implicit, starttls or none"),
      port: check(portSchema, values.port, "--port must be an integer from 1 to 65535"),
      ca: nonEmpty(values.ca, "--ca"),
      insecure: values.insecure === true,
      timeoutMs:
        (check(timeoutSchema, values.timeout, "--timeout must be a positive number of seconds") ??
          60) * 1000,
      allowInsecureDowngrade: values["allow-insecure-downgrade"] === true,
      user: nonEmpty(values.user, "--user"),
      auth: check(authSchema, values.auth, `--auth must be one of ${AUTH_METHODS.join(", ")}`),
      allowPlaintext: values["allow-plaintext"] === true,
      oauthTokenCommand: nonEmpty(values["oauth-token-command"], "--oauth-token-command"),
      lang: nonEmpty(values.lang, "--lang"),
      retries:
        values["no-retry"] === true
          ? 0
          : check(retrySchema, values.retry, "--retry must be a whole number from 0 to 20"),
      state: nonEmpty(values.state, "--state"),
      maildir: nonEmpty(values.maildir, "--maildir"),
      mbox: nonEmpty(values.mbox, "--mbox"),
      delete: values.delete === true,
      maxMessageOctets:
        check(
          sizeSchema,
          values["max-message-size"],
          "--max-message-size must be a size in octets, or with K, M or G (e.g. 100M)",
        ) ?? DEFAULT_MAX_MESSAGE_OCTETS,
      json: values.json === true,
      quiet: values.quiet === true,
      debug: values.debug === true,
    },
  };
}

function check<T>(
  schema: () => z.ZodMiniType<T, string>,
  value: string | undefined,
  message: string,
): T | undefined {
  if (value === undefined) return undefined;
  const result = schema().safeParse(value);
  if (!result.success) throw usage(`${message}, got ${JSON.stringify(value)}`);
  return result.data;
}

function nonEmpty(value: string | undefined, option: string): string | undefined {
  if (value === "") throw usage(`${option} needs a value`);
  return value;
}

function isCommand(value: string): value is CommandName {
  return (COMMANDS as readonly string[]).includes(value);
}

function commandOrUndefined(value: string | undefined): CommandName | undefined {
  if (value === undefined) return undefined;
  if (!isCommand(value))
    throw usage(`no help for ${JSON.stringify(value)}: use fetch, list, check or capa`);
  return value;
}

function usage(message: string): CliError {
  return new CliError({ exitCode: ExitCode.usage, message });
}
