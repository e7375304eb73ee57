import { describe, expect, it } from 'vitest';

import { loadApiConfig } from './app.config.js';

const SANDBOX = { CONSENTRY_MODE: 'sandbox', DATABASE_URL: 'postgres://127.0.0.1:5432/consentry' };

describe('loadApiConfig: HTTP_BANK_CONNECTORS', () => {
  it('has no HTTP connectors when the variable is unset or blank', () => {
    expect(loadApiConfig(SANDBOX).httpBankConnectors).toEqual([]);
    expect(loadApiConfig({ ...SANDBOX, HTTP_BANK_CONNECTORS: '  ' }).httpBankConnectors).toEqual([]);
  });

  it('reads name=url#token entries, comma separated', () => {
    const env = { ...SANDBOX, HTTP_BANK_CONNECTORS: 'northwind=https://nw.example/consentry#0123456789abcdef, b2=http://127.0.0.1:9/x#tokentokentoken1' };
    expect(loadApiConfig(env).httpBankConnectors).toEqual([
      { name: 'northwind', baseUrl: 'https://nw.example/consentry', token: '0123456789abcdef' },
      { name: 'b2', baseUrl: 'http://127.0.0.1:9/x', token: 'tokentokentoken1' },
    ]);
  });

  it('refuses a malformed entry without quoting the token', () => {
    const env = { ...SANDBOX, HTTP_BANK_CONNECTORS: 'northwind=https://nw.example#short-secret' };
    expect(() => loadApiConfig(env)).toThrow('HTTP_BANK_CONNECTORS entries must look like name=https://host/path#token (token of at least 16 characters)');
    expect(() => loadApiConfig(env)).not.toThrow(/short-secret/);
  });
});
