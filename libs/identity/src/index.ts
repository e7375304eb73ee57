export { CredentialAuthenticator, DEFAULT_LOCKOUT, totpSecretContext } from './credential-authenticator.js';
export type { LockoutPolicy, LoginAttempt, LoginFailure, LoginOutcome } from './credential-authenticator.js';
export { EnvironmentKeyManagement } from './key-management.js';
export type { KeyManagement, KeyringEntry } from './key-management.js';
export { IDENTITY_CIPHERTEXT_COLUMNS, rotateSecrets, SecretsRotationError } from './secrets-rotation.js';
export type { CiphertextColumn, SecretsRotationOptions, SecretsRotationResult } from './secrets-rotation.js';
export { burnPasswordVerification, hashPassword, verifyPassword } from './password.js';
export { currentTotpCode, generateTotpSecret, TotpFactor, totpCodeAt, totpUri } from './second-factor.js';
export type { SecondFactor, SecondFactorResult, SecondFactorSubject } from './second-factor.js';
