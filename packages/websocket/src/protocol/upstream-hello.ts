/**
 * The one text frame that opens every bridged WebSocket: what the page must know about the
 * hop it cannot see. After it, POP3 bytes travel in binary frames only, starting with the
 * server's greeting, so core's `Pop3Client.connect` reads the greeting as usual.
 */
export interface UpstreamHello {
  readonly type: "upstream";
  /** The allow-list name of the POP3 server; null when the server itself speaks WebSocket. */
  readonly target: string | null;
  /**
   * True when the hop to the POP3 server runs inside TLS (implicit TLS, after STLS, or a
   * `wss://` listener). The page's own hop to the bridge is the page's to judge.
   */
  readonly secure: boolean;
  /** How the bridge reached the server; null for a direct listener. */
  readonly tls: "implicit" | "starttls" | "none" | null;
  /** The server's greeting line without its CRLF: the APOP timestamp is in it. */
  readonly greeting: string;
}

export function formatUpstreamHello(hello: Omit<UpstreamHello, "type">): string {
  return JSON.stringify({
    type: "upstream",
    target: hello.target,
    secure: hello.secure,
    tls: hello.tls,
    greeting: hello.greeting,
  } satisfies UpstreamHello);
}

const TLS_MODES: readonly (UpstreamHello["tls"] | undefined)[] = [
  "implicit",
  "starttls",
  "none",
  null,
];

/** Reads the first text frame; null when it is not a well-formed `UpstreamHello`. */
export function parseUpstreamHello(text: string): UpstreamHello | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const hello = value as Record<string, unknown>;
  if (hello.type !== "upstream") return null;
  if (typeof hello.secure !== "boolean") return null;
  if (typeof hello.greeting !== "string" || /[\r\n]/.test(hello.greeting)) return null;
  if (!(typeof hello.target === "string" || hello.target === null)) return null;
  if (!TLS_MODES.includes(hello.tls as UpstreamHello["tls"])) return null;
  return {
    type: "upstream",
    target: hello.target,
    secure: hello.secure,
    tls: hello.tls as UpstreamHello["tls"],
    greeting: hello.greeting,
  };
}
