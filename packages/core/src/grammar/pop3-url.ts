/**
 * POP URLs: `pop://` as RFC 2384 defines it, and curl's `pop3://` and `pop3s://`, in core so
 * every runtime (Node, Deno, the browser) reads them the same way.
 */
import { LocalProtocolError } from "../errors/local-protocol-error.ts";

/** A parsed `pop://`, `pop3://` or `pop3s://` URL. */
export interface Pop3Url {
  readonly host: string;
  /**
   * The port the URL names, or absent when it names none: the caller then takes the default
   * of the TLS mode it actually uses (`defaultPort`), so `pop://host` with implicit TLS goes
   * to 995, not 110.
   */
  readonly port?: number;
  /**
   * `pop://` (RFC 2384) and `pop3://` (curl) mean POP3 on port 110; apop requires STLS on them
   * by default (RFC 8314 section 5.2: no silent clear text). `pop3s://` means implicit TLS
   * (RFC 8314 section 3), port 995.
   */
  readonly tls: "starttls" | "implicit";
  /** The user, %-decoded. */
  readonly user?: string;
  /**
   * RFC 2384 section 3 `;AUTH=`: `*` lets the client choose, `+APOP` asks for APOP, anything
   * else names a SASL mechanism (upper-cased: SASL names are case-insensitive). Absent: the
   * client's default login.
   */
  readonly auth?: string;
}

const SCHEMES = {
  pop: "starttls",
  pop3: "starttls",
  pop3s: "implicit",
} as const;

// scheme://[userinfo@]host[:port][/]  — host may be an IPv6 literal in brackets.
const URL_SHAPE = /^([a-z0-9]+):\/\/(?:([^@/?#]*)@)?(\[[0-9a-f:.]+\]|[^:/?#@[\]]+)(?::(\d*))?\/?$/i;
// What curl users write: a path naming a message (`pop3://host/1`), which RFC 2384 lacks.
const WITH_PATH = /^([a-z0-9]+:\/\/[^/?#]*)[/?#](.+)$/i;

/**
 * Parses a POP3 URL: `pop://[user[;AUTH=type]@]host[:port]` as RFC 2384 section 3 defines
 * it, and the `pop3://` and `pop3s://` schemes curl uses. Throws `LocalProtocolError`
 * `invalid-argument`, saying what to write instead for curl's habits that RFC 2384 lacks:
 * a password in the URL (`pop3://user:pass@host`) and a path naming a message
 * (`pop3://host/1`). A query or fragment is refused too. A port the URL does not name stays
 * absent (`Pop3Url.port`).
 */
export function parsePop3Url(url: string): Pop3Url {
  const match = typeof url === "string" ? URL_SHAPE.exec(url) : null;
  if (match === null) throw invalid(explain(String(url)));
  const [, rawScheme, userinfo, rawHost, rawPort] = match as unknown as [
    string,
    string,
    string | undefined,
    string,
    string | undefined,
  ];
  const scheme = rawScheme.toLowerCase();
  if (!(scheme in SCHEMES)) throw invalid(`unknown scheme ${rawScheme}: use pop, pop3 or pop3s`);
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  const result: { -readonly [K in keyof Pop3Url]: Pop3Url[K] } = {
    host,
    tls: SCHEMES[scheme as keyof typeof SCHEMES],
  };
  if (rawPort !== undefined && rawPort !== "") {
    const port = Number(rawPort);
    if (!(port > 0 && port <= 65535)) throw invalid(`port out of range: ${rawPort}`);
    result.port = port;
  }
  if (userinfo !== undefined) {
    // RFC 2384: user_auth = enc_user [";AUTH=" ("*" / enc_auth_type)]; a literal ';' in
    // the user name is %-encoded, so the first raw ';' starts the parameter.
    if (userinfo.includes(":")) {
      // curl's `pop3://user:password@host`: RFC 2384 has no password, and one in a URL ends
      // up in shell history and process lists.
      throw invalid(
        `a POP URL carries no password (RFC 2384 section 3): write ${scheme}://${userinfo.slice(0, userinfo.indexOf(":"))}@${rawHost} and give the password another way`,
      );
    }
    const semicolon = userinfo.indexOf(";");
    const user = decode(semicolon === -1 ? userinfo : userinfo.slice(0, semicolon));
    if (user === "") throw invalid("the user name is empty");
    result.user = user;
    if (semicolon !== -1) {
      const parameter = /^;auth=(.+)$/i.exec(userinfo.slice(semicolon));
      if (parameter === null) throw invalid(`expected ;AUTH=type after the user name`);
      const auth = decode(parameter[1] as string);
      result.auth = auth === "*" ? "*" : auth.toUpperCase();
    }
  }
  return result;
}

/** Why `url` is no POP URL, saying what to write when it is one of curl's forms. */
function explain(url: string): string {
  const path = WITH_PATH.exec(url);
  if (path !== null && /^pop3?s?:/i.test(url)) {
    const message = /^\d+$/.test(path[2] as string) ? ` (curl's message ${path[2]})` : "";
    return `a POP URL names a server, not a message or folder${message} (RFC 2384 section 3): write ${path[1]} and choose messages with the command`;
  }
  return `not a POP3 URL: ${JSON.stringify(url)}`;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(`bad %-encoding in ${JSON.stringify(text)}`);
  }
}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
