/** Moved to src/http/api/auth.ts (the /v1 API's key check); kept for existing imports. */
export { bearerAuthorizer, KeyAuthenticator } from './api/auth.js';
