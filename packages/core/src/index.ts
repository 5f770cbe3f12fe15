/**
 * @apop/core: POP3 (RFC 1939) and its extensions, I/O-free. See README.md for the driver loop.
 */

// Authentication.
export { apopDigest, createApopTimestamp } from "./auth/apop.ts";
// Added by issue 13 (SCRAM, OAuth, policy, UTF8/LANG): the types programs name, and the retry
// classification other programs share (retryAdvice). The rest is in ./internal.ts.
export type { LoginAbilities } from "./auth/choose-login-method.ts";
export {
  type ChooseLoginMethodOptions,
  chooseLoginMethod,
  type LoginMethod,
  type LoginOffer,
  type LoginPreference,
} from "./auth/choose-login-method.ts";
export type { Authenticator, Credential } from "./auth/credential.ts";
export { md5 } from "./auth/md5.ts";
export type { ChannelBinding, ChannelBindingType } from "./auth/sasl/channel-binding.ts";
export { cramMd5Server } from "./auth/sasl/cram-md5.ts";
export { plainServer } from "./auth/sasl/plain.ts";
export type {
  LoginProof,
  SaslClientCredentials,
  SaslClientExchange,
  SaslClientMechanism,
  SaslClientStep,
  SaslClientVerifier,
  SaslServerContext,
  SaslServerExchange,
  SaslServerMechanism,
  SaslServerStep,
} from "./auth/sasl/sasl-mechanism.ts";
export type { ScramCredential } from "./auth/scram/scram-credential.ts";
export type { ScramKeys } from "./auth/scram/scram-keys.ts";
export type { TokenValidator, TokenVerdict } from "./auth/token-validator.ts";
export { verifyProof } from "./auth/verify-proof.ts";
// Bytes.
export { LineReader, type LineReadResult } from "./bytes/line-reader.ts";
// Limits and the store contract.
export { DEFAULTS, defaultPort } from "./defaults.ts";
// Drivers: run a session over a transport.
export type {
  ClientConnectOptions,
  ResolveClientConnectOptionsInput,
  ResolvedClientConnectOptions,
  TlsMode,
} from "./driver/client-connect-options.ts";
export type { ConnectionAdmissionOptions, ConnectionLimit } from "./driver/connection-admission.ts";
export type { LoginPenaltiesOptions } from "./driver/login-penalties.ts";
export {
  type EachOptions,
  type EachResult,
  type LoginOptions,
  PIPELINE_WINDOW,
  Pop3Client,
  type Pop3ClientOptions,
  type RetrEachItem,
  type RetrEachOptions,
  type TopEachOptions,
  type TopResult,
} from "./driver/pop3-client.ts";
export { type RetryAdvice, retryAdvice } from "./driver/retry-advice.ts";
export {
  type ServeConnectionOptions,
  type ServeEvent,
  type ServeResult,
  serveConnection,
} from "./driver/serve-connection.ts";
export {
  type AdmitOptions,
  type CloseHostOptions,
  type ProxiedPeer,
  type ServeHostedOptions,
  ServerHost,
  type ServerHostConnection,
  type ServerHostConnectionInfo,
  type ServerHostInit,
} from "./driver/server-host.ts";
export type { ConnectionStats, ServerHostEvent } from "./driver/server-host-event.ts";
export type {
  ResolvedServerHostOptions,
  ResolveServerHostOptionsInput,
  ServerHostOptions,
} from "./driver/server-host-options.ts";
export type { Clock, Transport } from "./driver/transport.ts";
export type { UrlConnectTarget } from "./driver/url-connect-target.ts";
// Errors.
export { ApopError } from "./errors/apop-error.ts";
export { LocalProtocolError, type LocalProtocolErrorCode } from "./errors/local-protocol-error.ts";
export { Pop3Error, type Pop3ErrorCode } from "./errors/pop3-error.ts";
export {
  RemoteProtocolError,
  type RemoteProtocolErrorCode,
} from "./errors/remote-protocol-error.ts";
export { StoreError, type StoreErrorCode } from "./errors/store-error.ts";
// Grammar.
export {
  type Capabilities,
  formatCapabilities,
  parseCapabilities,
} from "./grammar/capabilities.ts";
export {
  type Command,
  type CommandParseError,
  type CommandParseResult,
  formatCommand,
  type Keyword,
  parseCommand,
} from "./grammar/command.ts";
export {
  type MaildropSize,
  parseMaildropSize,
  parseScanListing,
  parseUniqueIdListing,
  type ScanListing,
  type UniqueIdListing,
} from "./grammar/listings.ts";
export { type MultilineChunk, MultilineDecoder } from "./grammar/multiline-decoder.ts";
export { MultilineEncoder } from "./grammar/multiline-encoder.ts";
export { type Pop3Url, parsePop3Url } from "./grammar/pop3-url.ts";
export {
  formatStatusLine,
  type KnownResponseCode,
  parseStatusLine,
  ResponseCode,
  type StatusLine,
} from "./grammar/status-line.ts";
export { wireSize } from "./grammar/wire-size.ts";
// Response texts: what a host or parser hands the session to be put into words.
export type { MessageId, MessageParams, ServerMessage } from "./i18n/server-messages.ts";
export { DEFAULT_LIMITS, type Limits } from "./limits.ts";
// PROXY protocol (HAProxy's specification, v1 and v2): the header a balancer sends first.
export { formatProxyHeader } from "./proxy/format-proxy-header.ts";
export {
  type ProxyEndpoints,
  type ProxyHeader,
  type ProxyHeaderParse,
  parseProxyHeader,
} from "./proxy/parse-proxy-header.ts";
export type {
  ProxyProtocolOptions,
  ResolvedProxyProtocol,
} from "./proxy/proxy-protocol-options.ts";
export type { ProxyHeaderOutcome, ProxyRefusal } from "./proxy/read-proxy-header.ts";
// Sessions: the two state machines, and the table they share.
export {
  type ClientEvent,
  ClientSession,
  type ClientSessionOptions,
} from "./session/client-session.ts";
export type {
  LoginOutcome,
  ServerCloseReason,
  ServerEvent,
  UpdateOutcome,
} from "./session/server-events.ts";
export {
  type ServerPolicy,
  ServerSession,
  type ServerSessionOptions,
} from "./session/server-session.ts";
export type { SessionEvent, SessionState } from "./session/states.ts";
export type { Maildrop, MailStore, MessageInfo } from "./store/mail-store.ts";
export { MemoryStore, type MemoryStoreOptions } from "./store/memory-store.ts";
