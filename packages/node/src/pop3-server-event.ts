import type { ServerHostEvent } from "@apop/core";
import type { TransportStats } from "./node-socket-transport.ts";

/**
 * What a `createPop3Server` server reports to `onEvent`, for logs and metrics: core's
 * `ServerHostEvent` with this package's `TransportStats` in `connection-closed`. Every event
 * of one connection carries its `connection` number. No event carries a password, a digest
 * or a SASL response: core redacts command text before it reaches `session-event`.
 */
export type Pop3ServerEvent = ServerHostEvent<TransportStats>;
