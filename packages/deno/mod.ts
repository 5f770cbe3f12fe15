/**
 * @apop/deno: POP3 on Deno. A transport for core over `Deno.Conn` (`Deno.connect`,
 * `Deno.startTls`), a `serve` on `Deno.listen` that runs core's `serveConnection` for every
 * connection (its TLS through Deno's `node:tls`: STLS and implicit TLS), and a `connect` that
 * returns core's `Pop3Client`. No protocol logic lives here.
 *
 * @module
 */
// Core's types that this package's own types name, so that its documentation (and a user's
// code) reaches them from `@apop/deno` alone.
export type {
  ApopError,
  Authenticator,
  Capabilities,
  ChannelBinding,
  ChannelBindingType,
  ClientConnectOptions,
  Clock,
  Command,
  ConnectionLimit,
  ConnectionStats,
  Credential,
  EachOptions,
  EachResult,
  Keyword,
  Limits,
  LoginMethod,
  LoginOptions,
  LoginOutcome,
  LoginProof,
  Maildrop,
  MaildropSize,
  MailStore,
  MessageId,
  MessageInfo,
  MessageParams,
  Pop3Client,
  Pop3Error,
  Pop3ErrorCode,
  ProxyProtocolOptions,
  ProxyRefusal,
  RetrEachItem,
  RetrEachOptions,
  SaslClientCredentials,
  SaslClientExchange,
  SaslClientMechanism,
  SaslClientStep,
  SaslServerContext,
  SaslServerExchange,
  SaslServerMechanism,
  SaslServerStep,
  ScanListing,
  ScramCredential,
  ScramKeys,
  ServeEvent,
  ServerCloseReason,
  ServerEvent,
  ServerHostConnectionInfo,
  ServerHostEvent,
  ServerHostOptions,
  ServerMessage,
  SessionState,
  TokenValidator,
  TokenVerdict,
  TopEachOptions,
  TopResult,
  Transport,
  UniqueIdListing,
} from "@apop/core";
export { type ConnectOptions, connect, type TlsMode } from "./src/connect.ts";
export { type ConnectUrlOptions, connectUrl } from "./src/connect-url.ts";
export { denoClock } from "./src/deno-clock.ts";
export {
  type ByteConn,
  DenoConnTransport,
  type DenoConnTransportOptions,
} from "./src/deno-conn-transport.ts";
export type { Pop3ServerEvent } from "./src/pop3-server-event.ts";
export { randomBytes } from "./src/random-bytes.ts";
export { type ConnectionInfo, type Pop3Server, serve } from "./src/serve.ts";
export type { ServeOptions, ServeTlsOptions } from "./src/serve-options.ts";
export { startTlsServer } from "./src/start-tls-server.ts";
