export { type ApiPrincipal, bearerAuthorizer, KeyAuthenticator } from './auth.js';
export { agentCallStats, callOutcome, callSummary, publicCallView } from './call-view.js';
export * from './calls-port.js';
export type { ApiDeps } from './deps.js';
export { ApiError } from './errors.js';
export { openApiDocument } from './openapi.js';
export { carrierOutbound } from './outbound.js';
export { apiRoutes, registerApi } from './plugin.js';
export { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitOptions } from './rate-limit.js';
