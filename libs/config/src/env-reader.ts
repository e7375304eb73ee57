import { ConfigError } from './config.error.js';

type Env = Record<string, string | undefined>;

/**
 * Reads typed values from an environment, one variable at a time, so each failure names its variable.
 * Values are trimmed; an empty string counts as unset.
 */
export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback?: string): string {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) throw new ConfigError(name, 'is required but not set');
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  integer(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `must be a whole number (got "${value}")`);
    const parsed = Number(value);
    if (bounds.min !== undefined && parsed < bounds.min) throw new ConfigError(name, `must be at least ${bounds.min}`);
    if (bounds.max !== undefined && parsed > bounds.max) throw new ConfigError(name, `must be at most ${bounds.max}`);
    return parsed;
  }

  port(name: string, fallback: number): number {
    return this.integer(name, fallback, { min: 0, max: 65535 });
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    throw new ConfigError(name, `must be true or false (got "${value}")`);
  }

  url(name: string, fallback?: string, protocols: string[] = ['http:', 'https:']): string {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) throw new ConfigError(name, 'is required but not set');
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, 'must be a URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
    }
    return value.replace(/\/+$/, '');
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name) ?? fallback;
    if (!allowed.includes(value as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${value}")`);
    return value as T;
  }

  /** A base64 key of exactly `bytes` bytes, padded (never echoed back in the error). */
  key(name: string, bytes: number, fallback?: string): Buffer {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) throw new ConfigError(name, 'is required but not set');
    const decoded = Buffer.from(value, 'base64');
    // Node's decoder drops what is not base64: only a value that encodes back to itself was all key.
    if (decoded.length !== bytes || decoded.toString('base64') !== value) throw new ConfigError(name, `must be ${bytes} bytes, base64-encoded`);
    return decoded;
  }
}
