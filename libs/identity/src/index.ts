export { CredentialAuthenticator, DEFAULT_LOCKOUT, totpSecretContext } from './credential-authenticator.js';
export type { LockoutPolicy, LoginAttempt, LoginFailure, LoginOutcome } from './credential-authenticator.js';
export { EnvironmentKeyManagement } from './key-management.js';
export type { KeyManagement } from './key-management.js';
export { burnPasswordVerification, hashPassword, verifyPassword } from './password.js';
export { currentTotpCode, generateTotpSecret, TotpFactor, totpCodeAt, totpUri } from './second-factor.js';
export type { SecondFactor, SecondFactorResult, SecondFactorSubject } from './second-factor.js';
