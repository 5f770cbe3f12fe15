/**
 * @apop/core: POP3 (RFC 1939) and its extensions, I/O-free. See README.md for the driver loop.
 */

// Authentication.
export {
  apopDigest,
  apopHostNameProblem,
  createApopTimestamp,
  digestsEqual,
  extractApopTimestamp,
} from "./auth/apop.ts";
export {
  type ChooseLoginMethodOptions,
  chooseLoginMethod,
  LOGIN_PREFERENCES,
  type LoginAbilities,
  type LoginMethod,
  type LoginOffer,
  type LoginPreference,
} from "./auth/choose-login-method.ts";
export type { Authenticator, Credential } from "./auth/credential.ts";
export { hmacMd5 } from "./auth/hmac-md5.ts";
export { Md5, md5 } from "./auth/md5.ts";
export type { ChannelBinding, ChannelBindingType } from "./auth/sasl/channel-binding.ts";
export { cramMd5Client, cramMd5Server } from "./auth/sasl/cram-md5.ts";
export { findMechanism } from "./auth/sasl/find-mechanism.ts";
export { loginClient, loginServer } from "./auth/sasl/login.ts";
export {
  oauthBearerClient,
  oauthBearerServer,
  xoauth2Client,
  xoauth2Server,
} from "./auth/sasl/oauth-bearer.ts";
export { plainClient, plainServer } from "./auth/sasl/plain.ts";
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
export { tlsServerEndPoint } from "./auth/sasl/tls-server-end-point.ts";
export { SaslprepError, saslprep } from "./auth/saslprep.ts";
export { scramSha256Client, scramSha256PlusClient } from "./auth/scram/scram-client.ts";
export {
  createScramCredential,
  formatScramCredential,
  parseScramCredential,
  type ScramCredential,
} from "./auth/scram/scram-credential.ts";
export { scramSha256PlusServer, scramSha256Server } from "./auth/scram/scram-server.ts";
export {
  DEFAULT_OAUTH_USER_CLAIMS,
  type TokenValidator,
  type TokenVerdict,
} from "./auth/token-validator.ts";
export { verifyProof } from "./auth/verify-proof.ts";
// Bytes.
export { decodeBase64, encodeBase64 } from "./bytes/base64.ts";
export { toHex } from "./bytes/hex.ts";
export { LineReader, type LineReadResult } from "./bytes/line-reader.ts";
export { decodeUtf8, encodeUtf8 } from "./bytes/utf8.ts";
// Limits and the store contract.
export { DEFAULTS, defaultPort } from "./defaults.ts";
export {
  addressGroup,
  isIpv6PrefixLength,
  normalizeRemoteAddress,
} from "./driver/address-group.ts";
// Drivers: run a session over a transport.
export {
  type ClientConnectOptions,
  type ResolveClientConnectOptionsInput,
  type ResolvedClientConnectOptions,
  resolveClientConnectOptions,
  type TlsMode,
} from "./driver/client-connect-options.ts";
export {
  ConnectionAdmission,
  type ConnectionAdmissionOptions,
  type ConnectionLimit,
  tooManyConnectionsLine,
} from "./driver/connection-admission.ts";
export { LoginPenalties, type LoginPenaltiesOptions } from "./driver/login-penalties.ts";
export {
  type LoginOptions,
  Pop3Client,
  type Pop3ClientOptions,
  type RetrEachItem,
  type RetrEachOptions,
} from "./driver/pop3-client.ts";
export {
  DEFAULT_RETRIES,
  LOGIN_DELAY_BUDGET_MS,
  RETRY_FIRST_DELAY_MS,
  RETRY_MAX_DELAY_MS,
  type RetryAdvice,
  retryAdvice,
} from "./driver/retry-advice.ts";
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
export {
  DEFAULT_SASL_SERVER_MECHANISMS,
  type ResolvedServerHostOptions,
  type ResolveServerHostOptionsInput,
  resolveServerHostOptions,
  type ServerHostOptions,
} from "./driver/server-host-options.ts";
export type { Clock, Transport } from "./driver/transport.ts";
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
  saslMechanisms,
} from "./grammar/capabilities.ts";
export {
  type Command,
  type CommandParseError,
  type CommandParseResult,
  formatCommand,
  formatCommandText,
  KEYWORDS,
  type Keyword,
  MAX_NUMBER,
  parseCommand,
  redactCommand,
} from "./grammar/command.ts";
export {
  formatMaildropSize,
  formatScanListing,
  formatUniqueIdListing,
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
  formatContinuation,
  formatStatusLine,
  type KnownResponseCode,
  parseContinuation,
  parseStatusLine,
  ResponseCode,
  type StatusLine,
} from "./grammar/status-line.ts";
export { WireSizeCounter, wireSize } from "./grammar/wire-size.ts";
// Languages (RFC 6856 section 3, RFC 4647).
export { chooseLanguage, languageMatches } from "./i18n/match-language.ts";
export { DEFAULT_LANGUAGE, LANGUAGES, translate } from "./i18n/message-catalog.ts";
export {
  DEFAULT_LIMITS,
  DEFAULT_MAX_MESSAGE_OCTETS,
  DEFAULT_WEB_REQUEST_TIMEOUT_MS,
  type Limits,
  MIN_COMMAND_LINE_OCTETS,
  MIN_IDLE_TIMEOUT_MS,
  resolveLimits,
} from "./limits.ts";
// PROXY protocol (HAProxy's specification, v1 and v2): the header a balancer sends first.
export { formatProxyHeader } from "./proxy/format-proxy-header.ts";
export {
  PROXY_V1_MAX_OCTETS,
  PROXY_V2_MAX_PAYLOAD,
  PROXY_V2_SIGNATURE,
  type ProxyEndpoints,
  type ProxyHeader,
  type ProxyHeaderParse,
  parseProxyHeader,
} from "./proxy/parse-proxy-header.ts";
export {
  DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  type ProxyProtocolOptions,
  type ResolvedProxyProtocol,
} from "./proxy/proxy-protocol-options.ts";
export {
  type ProxyHeaderOutcome,
  type ProxyRefusal,
  readProxyHeader,
} from "./proxy/read-proxy-header.ts";
export { refuseProxyHeader } from "./proxy/refuse-proxy-header.ts";
export { TrustedSources } from "./proxy/trusted-sources.ts";
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
export {
  EVENT_SOURCES,
  EVENT_TRANSITIONS,
  nextState,
  renderStateDiagram,
  SESSION_EVENTS,
  SESSION_STATES,
  type SessionEvent,
  type SessionState,
  stateAfter,
  TRANSITIONS,
} from "./session/states.ts";
export type { Maildrop, MailStore, MessageInfo } from "./store/mail-store.ts";
export { MemoryStore, type MemoryStoreOptions } from "./store/memory-store.ts";
