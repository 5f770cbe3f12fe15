/**
 * The bridge (or listener) refused or dropped the connection before POP3 began: an origin
 * refused at the upgrade (`closeCode` 1006: browsers hide the HTTP answer), a target outside
 * the allow-list (4403), the connection cap (1013), an unreachable server (4502, 4504)...
 * `closeReason` is the bridge's own words. See `CLOSE_CODES`.
 */
export class BridgeError extends Error {
  /** The WebSocket close code, or null when the page gave up waiting. */
  readonly closeCode: number | null;
  readonly closeReason: string;

  constructor(options: { message: string; closeCode: number | null; closeReason: string }) {
    super(options.message);
    this.name = "BridgeError";
    this.closeCode = options.closeCode;
    this.closeReason = options.closeReason;
  }

  /** Works across bundles (a page may load two copies). */
  static isInstance(error: unknown): error is BridgeError {
    return error instanceof Error && error.name === "BridgeError" && "closeCode" in error;
  }
}
