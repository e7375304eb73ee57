import { EnvReader } from '@consentry/config';

/**
 * Settings of the authorization server beyond `AuthServerConfig` (libs/config): TPP onboarding, the API's
 * introspection client and the PSU login limits. Read from the environment, one variable each.
 */
export interface AuthServerSettings {
  /** Public JWKS of the trusted software-statement directory (RFC 7591 section 2.3). */
  softwareStatementJwksFile?: string;
  /** The directory's `iss`; when set, statements from any other issuer are refused. */
  softwareStatementIssuer?: string;
  /** Public JWKS of the API's private_key_jwt key, making it an introspection-only client. */
  apiClientJwksFile?: string;
  /** client_id of the API as an introspection client. */
  apiClientId: string;
  /** Failed logins from one client IP within the window before that IP is refused further attempts. */
  loginIpMaxFailures: number;
  loginIpWindowSeconds: number;
  /** Seconds a PSU journey may sit without activity before it is returned to the TPP (PSD2 RTS Art. 4(3)(d)). */
  interactionIdleSeconds: number;
}

export function loadAuthServerSettings(env: Record<string, string | undefined> = process.env): AuthServerSettings {
  const read = new EnvReader(env);
  return {
    softwareStatementJwksFile: read.optionalString('SOFTWARE_STATEMENT_JWKS_FILE'),
    softwareStatementIssuer: read.optionalString('SOFTWARE_STATEMENT_ISSUER'),
    apiClientJwksFile: read.optionalString('API_CLIENT_JWKS_FILE'),
    apiClientId: read.string('API_CLIENT_ID', 'consentry-api'),
    loginIpMaxFailures: read.integer('LOGIN_IP_MAX_FAILURES', 20, { min: 1, max: 10_000 }),
    loginIpWindowSeconds: read.integer('LOGIN_IP_WINDOW_SECONDS', 15 * 60, { min: 10, max: 24 * 3600 }),
    // PSD2 RTS Art. 4(3)(d): at most 5 minutes without activity after authentication.
    interactionIdleSeconds: read.integer('INTERACTION_IDLE_SECONDS', 300, { min: 5, max: 300 }),
  };
}
