import { DataSource } from '@consentry/database';

/** Whether a client IP may try to sign in now, and if not, for how long it must wait. */
export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

const MODEL = 'LoginThrottle';

/**
 * Failed sign-ins per client IP in a fixed window, next to the per-PSU lockout of
 * CredentialAuthenticator: the lockout stops guessing one PSU's password, this stops one source from
 * walking through usernames and locking PSUs out at will. Counted in `oidc_model` (model
 * `LoginThrottle`, id = IP, expiring with the window) so every auth-server instance shares it; the
 * increment is one atomic upsert.
 */
export class LoginThrottle {
  constructor(
    private readonly dataSource: DataSource,
    private readonly maxFailures: number,
    private readonly windowSeconds: number,
  ) {}

  async check(ip: string): Promise<ThrottleDecision> {
    const rows: Array<{ failures: number; retry_after: number }> = await this.dataSource.query(
      `SELECT (payload->>'failures')::int AS failures, ceil(extract(epoch FROM expires_at - now()))::int AS retry_after
         FROM oidc_model WHERE model = $1 AND id = $2 AND expires_at > now()`,
      [MODEL, ip],
    );
    const row = rows[0];
    return row && row.failures >= this.maxFailures ? { allowed: false, retryAfterSeconds: Math.max(1, row.retry_after) } : { allowed: true };
  }

  /** Counts one failed sign-in from `ip`; a window that has run out starts again at one. */
  async recordFailure(ip: string): Promise<number> {
    const rows: Array<{ failures: number }> = await this.dataSource.query(
      `WITH counted AS (
         INSERT INTO oidc_model (model, id, payload, expires_at)
         VALUES ($1, $2, '{"failures":1}'::jsonb, now() + make_interval(secs => $3))
         ON CONFLICT (model, id) DO UPDATE
           SET payload = CASE WHEN oidc_model.expires_at <= now() THEN EXCLUDED.payload
                              ELSE jsonb_build_object('failures', (oidc_model.payload->>'failures')::int + 1) END,
               expires_at = CASE WHEN oidc_model.expires_at <= now() THEN EXCLUDED.expires_at ELSE oidc_model.expires_at END
         RETURNING (payload->>'failures')::int AS failures)
       SELECT failures FROM counted`,
      [MODEL, ip, this.windowSeconds],
    );
    return rows[0]?.failures ?? 1;
  }
}
