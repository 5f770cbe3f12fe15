import { formatStatusLine, ResponseCode } from "../grammar/status-line.ts";

/** The option whose cap refused a connection. */
export type ConnectionLimit = "maxConnections" | "maxConnectionsPerAddress";

export interface ConnectionAdmissionOptions {
  /** Open connections in total. */
  readonly maxConnections: number;
  /** Open connections from one remote address (after `normalizeRemoteAddress`). */
  readonly maxConnectionsPerAddress: number;
}

/**
 * Counts open connections, in total and per remote address, and says which cap a new one
 * would break. A flood from one address meets its own cap long before it can starve everyone
 * else of the total. Counting only: the host decides what a refusal costs (one line, or a
 * close before the TLS handshake, which is the costly part a flood would buy).
 */
export class ConnectionAdmission {
  readonly #maxConnections: number;
  readonly #maxConnectionsPerAddress: number;
  readonly #perAddress = new Map<string, number>();
  #size = 0;

  constructor(options: ConnectionAdmissionOptions) {
    this.#maxConnections = options.maxConnections;
    this.#maxConnectionsPerAddress = options.maxConnectionsPerAddress;
  }

  /** Connections counted in and not yet released. */
  get size(): number {
    return this.#size;
  }

  /** Open connections from `remoteAddress`. */
  countFrom(remoteAddress: string): number {
    return this.#perAddress.get(remoteAddress) ?? 0;
  }

  /**
   * Counts a connection from `remoteAddress` in and returns null, or returns the cap it would
   * break and counts nothing. The total is checked first, so a full server says so whoever
   * asks. Every admitted connection must be `release`d exactly once.
   */
  admit(remoteAddress: string): ConnectionLimit | null {
    const fromAddress = this.countFrom(remoteAddress);
    if (this.#size >= this.#maxConnections) return "maxConnections";
    if (fromAddress >= this.#maxConnectionsPerAddress) return "maxConnectionsPerAddress";
    this.#size++;
    this.#perAddress.set(remoteAddress, fromAddress + 1);
    return null;
  }

  /** Counts an admitted connection out. An address with none left is forgotten. */
  release(remoteAddress: string): void {
    const left = this.countFrom(remoteAddress) - 1;
    if (left < 0) return;
    this.#size--;
    if (left === 0) this.#perAddress.delete(remoteAddress);
    else this.#perAddress.set(remoteAddress, left);
  }
}

/**
 * The one line a plain connection over a cap gets before it is closed: `-ERR [SYS/TEMP]`, a
 * transient condition, so the client tries later (RFC 3206 section 4) rather than giving up
 * as it would on `[AUTH]`. Fresh bytes on every call.
 */
export function tooManyConnectionsLine(): Uint8Array {
  return formatStatusLine({
    ok: false,
    code: ResponseCode.sysTemp,
    text: "Too many connections, try again later",
  });
}

/**
 * The address a per-address cap counts: an IPv4 client reached over a dual-stack socket
 * (`::ffff:192.0.2.1`) is the same client as `192.0.2.1`. Anything else is returned as it is.
 */
export function normalizeRemoteAddress(address: string): string {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : null;
  return v4 !== null && isIPv4(v4) ? v4 : address;
}

/** A dotted quad, each part 0-255 without leading zeros (what `net.isIPv4` accepts). */
function isIPv4(text: string): boolean {
  const parts = text.split(".");
  return (
    parts.length === 4 &&
    parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part) && Number(part) <= 255)
  );
}
