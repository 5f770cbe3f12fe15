/**
 * @apop/core/internal: the helpers the apop packages share (codecs, SASL mechanisms, PROXY
 * protocol pieces, admission and limit resolution, the state tables). Outside semver: any
 * release may change or remove them. Applications use `@apop/core`.
 *
 * @module
 */
export { apopHostNameProblem, digestsEqual, extractApopTimestamp } from "./auth/apop.ts";
export { LOGIN_PREFERENCES } from "./auth/choose-login-method.ts";
export { hmacMd5 } from "./auth/hmac-md5.ts";
export { Md5 } from "./auth/md5.ts";
export { cramMd5Client } from "./auth/sasl/cram-md5.ts";
export { findMechanism } from "./auth/sasl/find-mechanism.ts";
export { loginClient, loginServer } from "./auth/sasl/login.ts";
// Issue 13: SCRAM, OAuth, per-address penalties, retry constants, UTF8/LANG.
export {
  oauthBearerClient,
  oauthBearerServer,
  xoauth2Client,
  xoauth2Server,
} from "./auth/sasl/oauth-bearer.ts";
export { plainClient } from "./auth/sasl/plain.ts";
export { tlsServerEndPoint } from "./auth/sasl/tls-server-end-point.ts";
export { SaslprepError, saslprep } from "./auth/saslprep.ts";
export { scramSha256Client, scramSha256PlusClient } from "./auth/scram/scram-client.ts";
export {
  createScramCredential,
  formatScramCredential,
  parseScramCredential,
} from "./auth/scram/scram-credential.ts";
export { scramSha256PlusServer, scramSha256Server } from "./auth/scram/scram-server.ts";
export { DEFAULT_OAUTH_USER_CLAIMS } from "./auth/token-validator.ts";
export { decodeBase64, encodeBase64 } from "./bytes/base64.ts";
export { toHex } from "./bytes/hex.ts";
export { decodeUtf8, encodeUtf8 } from "./bytes/utf8.ts";
export {
  addressGroup,
  isIpv6PrefixLength,
  isLoopbackAddress,
  normalizeRemoteAddress,
} from "./driver/address-group.ts";
export { resolveClientConnectOptions } from "./driver/client-connect-options.ts";
export { ConnectionAdmission, tooManyConnectionsLine } from "./driver/connection-admission.ts";
export { GroupPenalty, LoginPenalties } from "./driver/login-penalties.ts";
export {
  DEFAULT_RETRIES,
  LOGIN_DELAY_BUDGET_MS,
  RETRY_FIRST_DELAY_MS,
  RETRY_MAX_DELAY_MS,
} from "./driver/retry-advice.ts";
export {
  DEFAULT_SASL_SERVER_MECHANISMS,
  resolveServerHostOptions,
} from "./driver/server-host-options.ts";
export { connectionClosedError, SerialWrites } from "./driver/serial-writes.ts";
export { settleWithin } from "./driver/settle-within.ts";
export { urlConnectTarget } from "./driver/url-connect-target.ts";
export { withTimeLimit } from "./driver/with-time-limit.ts";
export { saslMechanisms } from "./grammar/capabilities.ts";
export { formatCommandText, KEYWORDS, MAX_NUMBER, redactCommand } from "./grammar/command.ts";
export {
  formatMaildropSize,
  formatScanListing,
  formatUniqueIdListing,
} from "./grammar/listings.ts";
export { formatContinuation, parseContinuation } from "./grammar/status-line.ts";
export { WireSizeCounter } from "./grammar/wire-size.ts";
export { chooseLanguage, languageMatches } from "./i18n/match-language.ts";
export { CATALOGS, DEFAULT_LANGUAGE, LANGUAGES, renderMessage } from "./i18n/message-catalog.ts";
export { I_DEFAULT, type MessageArgs, type MessageCatalog } from "./i18n/server-messages.ts";
export {
  DEFAULT_MAX_MESSAGE_OCTETS,
  DEFAULT_WEB_REQUEST_TIMEOUT_MS,
  MIN_COMMAND_LINE_OCTETS,
  MIN_IDLE_TIMEOUT_MS,
  resolveLimits,
} from "./limits.ts";
export {
  PROXY_V1_MAX_OCTETS,
  PROXY_V2_MAX_PAYLOAD,
  PROXY_V2_SIGNATURE,
} from "./proxy/parse-proxy-header.ts";
export { DEFAULT_PROXY_HEADER_TIMEOUT_MS } from "./proxy/proxy-protocol-options.ts";
export { readProxyHeader } from "./proxy/read-proxy-header.ts";
export { refuseProxyHeader } from "./proxy/refuse-proxy-header.ts";
export { TrustedSources } from "./proxy/trusted-sources.ts";
export {
  EVENT_SOURCES,
  EVENT_TRANSITIONS,
  nextState,
  renderStateDiagram,
  SESSION_EVENTS,
  SESSION_STATES,
  stateAfter,
  TRANSITIONS,
} from "./session/states.ts";
export { isUniqueId, MAX_UNIQUE_ID_LENGTH, uniqueIdFrom, uniqueIds } from "./store/unique-ids.ts";
