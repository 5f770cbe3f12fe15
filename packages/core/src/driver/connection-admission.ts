import { formatStatusLine, ResponseCode } from "../grammar/status-line.ts";
import { I_DEFAULT } from "../i18n/server-messages.ts";
import { addressGroup } from "./address-group.ts";

/** The option whose cap refused a connection. */
export type ConnectionLimit = "maxConnections" | "maxConnectionsPerAddress";

export interface ConnectionAdmissionOptions {
  /** Open connections in total. */
  readonly maxConnections: number;
  /** Open connections from one client: one IPv4 address, or one IPv6 prefix (`addressGroup`). */
  readonly maxConnectionsPerAddress: number;
  /** Bits of an IPv6 address that name one client. Default `DEFAULTS.ipv6PrefixLength` (64). */
  readonly ipv6PrefixLength?: number | undefined;
}

/**
 * Counts open connections, in total and per client (`addressGroup`: an IPv4 address, or an
 * IPv6 /64 by default, since one host holds a whole /64), and says which cap a new one would
 * break. A flood from one client meets its own cap long before it can starve everyone else of
 * the total. Counting only: the host decides what a refusal costs (one line, or a
 * close before the TLS handshake, which is the costly part a flood would buy).
 */
export class ConnectionAdmission {
  readonly #maxConnections: number;
  readonly #maxConnectionsPerAddress: number;
  readonly #ipv6PrefixLength: number | undefined;
  readonly #perAddress = new Map<string, number>();
  #size = 0;

  constructor(options: ConnectionAdmissionOptions) {
    this.#maxConnections = options.maxConnections;
    this.#maxConnectionsPerAddress = options.maxConnectionsPerAddress;
    this.#ipv6PrefixLength = options.ipv6PrefixLength;
    // Checked here, once, rather than on the first connection.
    this.#group("::");
  }

  /** Connections counted in and not yet released. */
  get size(): number {
    return this.#size;
  }

  /** Open connections from the client (`addressGroup`) of `remoteAddress`. */
  countFrom(remoteAddress: string): number {
    return this.#perAddress.get(this.#group(remoteAddress)) ?? 0;
  }

  #group(address: string): string {
    return addressGroup({ address, ipv6PrefixLength: this.#ipv6PrefixLength });
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
    this.#perAddress.set(this.#group(remoteAddress), fromAddress + 1);
    return null;
  }

  /** Counts an admitted connection out. An address with none left is forgotten. */
  release(remoteAddress: string): void {
    const left = this.countFrom(remoteAddress) - 1;
    if (left < 0) return;
    this.#size--;
    const group = this.#group(remoteAddress);
    if (left === 0) this.#perAddress.delete(group);
    else this.#perAddress.set(group, left);
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
    // Before any command, so before LANG: i-default (RFC 6856 section 3).
    text: I_DEFAULT.tooManyConnections(),
  });
}
