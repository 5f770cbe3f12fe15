import { LocalProtocolError } from "@apop/core";

/** A parsed `pop://`, `pop3://` or `pop3s://` URL. */
export interface Pop3Url {
  readonly host: string;
  readonly port: number;
  /**
   * `pop://` (RFC 2384) and `pop3://` (curl) mean port 110; apop requires STLS on them by
   * default (RFC 8314 section 5.2: no silent clear text). `pop3s://` means port 995 with
   * implicit TLS (RFC 8314 section 3).
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

const DEFAULTS = {
  pop: { port: 110, tls: "starttls" },
  pop3: { port: 110, tls: "starttls" },
  pop3s: { port: 995, tls: "implicit" },
} as const;

// scheme://[userinfo@]host[:port][/]  — host may be an IPv6 literal in brackets.
const URL_SHAPE = /^([a-z0-9]+):\/\/(?:([^@/?#]*)@)?(\[[0-9a-f:.]+\]|[^:/?#@[\]]+)(?::(\d*))?\/?$/i;

/**
 * Parses a POP3 URL: `pop://[user[;AUTH=type]@]host[:port]` as RFC 2384 section 3 defines
 * it, and the `pop3://` and `pop3s://` forms curl uses. A path, query or fragment is
 * refused (RFC 2384 has none). Throws `LocalProtocolError` `invalid-argument`.
 */
export function parsePop3Url(url: string): Pop3Url {
  const match = typeof url === "string" ? URL_SHAPE.exec(url) : null;
  if (match === null) throw invalid(`not a POP3 URL: ${JSON.stringify(String(url))}`);
  const [, rawScheme, userinfo, rawHost, rawPort] = match as unknown as [
    string,
    string,
    string | undefined,
    string,
    string | undefined,
  ];
  const scheme = rawScheme.toLowerCase();
  if (!(scheme in DEFAULTS)) throw invalid(`unknown scheme ${rawScheme}: use pop, pop3 or pop3s`);
  const defaults = DEFAULTS[scheme as keyof typeof DEFAULTS];
  const host = rawHost.startsWith("[") ? rawHost.slice(1, -1) : rawHost;
  let port: number = defaults.port;
  if (rawPort !== undefined && rawPort !== "") {
    port = Number(rawPort);
    if (!(port > 0 && port <= 65535)) throw invalid(`port out of range: ${rawPort}`);
  }
  const result: { -readonly [K in keyof Pop3Url]: Pop3Url[K] } = {
    host,
    port,
    tls: defaults.tls,
  };
  if (userinfo !== undefined) {
    // RFC 2384: user_auth = enc_user [";AUTH=" ("*" / enc_auth_type)]; a literal ';' in
    // the user name is %-encoded, so the first raw ';' starts the parameter.
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
