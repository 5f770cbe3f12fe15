/**
 * Channel binding data (RFC 5056) for SCRAM-SHA-256-PLUS (RFC 5802 section 6), handed in by the
 * transport: core never touches a TLS session. Which type is used depends on the TLS version:
 * - `tls-exporter` (RFC 9266): 32 octets exported with the label `EXPORTER-Channel-Binding`
 *   and no context; the type for TLS 1.3, where `tls-unique` is undefined;
 * - `tls-server-end-point` (RFC 5929 section 4): the hash of the server's certificate (SHA-256,
 *   or the certificate's own signature hash when stronger); for TLS 1.2 and below, and the only
 *   one a runtime can give when it exposes the peer certificate but no exporter.
 */
export type ChannelBindingType = "tls-exporter" | "tls-server-end-point";

/** One TLS connection's channel binding (RFC 5056), for SCRAM-SHA-256-PLUS. */
export interface ChannelBinding {
  /** Which binding: `tls-exporter` (RFC 9266) or `tls-server-end-point` (RFC 5929). */
  readonly type: ChannelBindingType;
  /** The binding data of this TLS connection. */
  readonly data: Uint8Array;
}
