import type { ServerHostEvent } from "@apop/core";

/**
 * What a `serve` server reports to `onEvent`, for logs and metrics: core's `ServerHostEvent`,
 * the same shape as @apop/node's `Pop3ServerEvent`, with `stats` counting octets above TLS.
 * Every event of one connection carries its `connection` number. No event carries a password,
 * a digest or a SASL response.
 */
export type Pop3ServerEvent = ServerHostEvent;
