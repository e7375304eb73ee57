import { revocationMarkSeconds, revokedAccessTokenKey } from '@consentry/consents';
import { Redis } from 'ioredis';

/**
 * Revocation marks of single JWT access tokens (RFC 7009), in the Redis the API reads them from: a JWT
 * is not stored, so its revocation is a mark by `jti` that lives as long as the token could pass.
 */
export class RevokedAccessTokens {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async revoke(clientId: string, jti: string, exp: number): Promise<void> {
    await this.redis.set(revokedAccessTokenKey(this.keyPrefix, clientId, jti), '1', 'EX', revocationMarkSeconds(exp));
  }

  async isRevoked(clientId: string, jti: string): Promise<boolean> {
    return (await this.redis.exists(revokedAccessTokenKey(this.keyPrefix, clientId, jti))) === 1;
  }
}
