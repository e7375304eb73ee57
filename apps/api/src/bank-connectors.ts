import { BankConnector, HttpBankConnector } from '@consentry/banking';
import { ConfigError } from '@consentry/config';

/**
 * HTTP bank connectors from HTTP_BANK_CONNECTORS: `name=https://bank.example/adapter#token` entries,
 * comma separated. `name` is the `aspsp.connector` value of the banks it serves (docs/connectors.md).
 */
export function httpBankConnectorsFromEnv(env: Record<string, string | undefined> = process.env): BankConnector[] {
  const raw = env.HTTP_BANK_CONNECTORS?.trim();
  if (!raw) return [];
  return raw.split(',').map((entry) => {
    const match = /^([a-z0-9][a-z0-9-]{0,62})=(https?:\/\/[^#\s]+)#(\S{16,})$/.exec(entry.trim());
    if (!match) throw new ConfigError('HTTP_BANK_CONNECTORS', 'entries must look like name=https://host/path#token (token of at least 16 characters)');
    const [, name, baseUrl, token] = match;
    return new HttpBankConnector({ name: name!, baseUrl: baseUrl!, token: token! });
  });
}
