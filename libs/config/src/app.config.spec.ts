import { describe, expect, it } from 'vitest';

import { loadApiConfig } from './app.config.js';

const SANDBOX = { CONSENTRY_MODE: 'sandbox', DATABASE_URL: 'postgres://127.0.0.1:5432/consentry' };
/** What production requires, but for payment monitoring's two files. */
const PRODUCTION_BUT_RISK = {
  CONSENTRY_MODE: 'production',
  DATABASE_URL: 'postgres://127.0.0.1:5432/consentry',
  SECRETS_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)).toString('base64'),
  API_URL: 'https://api.bank.example',
  AUTH_SERVER_URL: 'https://auth.bank.example',
  ADMIN_ALLOWED_CIDRS: '10.0.0.0/8',
  MESSAGE_SIGNING_JWKS_FILE: '/etc/consentry/message-signing/jwks.json',
  MESSAGE_SIGNING_ISS: 'bank-org-id',
};

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

  it('refuses plain http to another host in production, without quoting the token, and takes it on loopback', () => {
    const production = { ...PRODUCTION_BUT_RISK, RISK_RULES_FILE: '/etc/consentry/risk/rules.yaml', RISK_DENY_LIST_FILE: '/etc/consentry/risk/deny-list.json' };
    // Until 7 December 2026 production took it: the orders and the bearer token crossed the network in clear.
    const remote = { ...production, HTTP_BANK_CONNECTORS: 'northwind=http://adapter.northwind.example/consentry#0123456789abcdef0123' };
    expect(() => loadApiConfig(remote)).toThrow('HTTP_BANK_CONNECTORS northwind: must be an https URL in production mode (got http://adapter.northwind.example): plain http is for loopback hosts only');
    expect(() => loadApiConfig(remote)).not.toThrow(/0123456789abcdef0123/);
    expect(loadApiConfig({ ...production, HTTP_BANK_CONNECTORS: 'local=http://127.0.0.1:9/x#tokentokentoken1,tls=https://nw.example#tokentokentoken2' }).httpBankConnectors).toHaveLength(2);
    expect(loadApiConfig({ ...SANDBOX, HTTP_BANK_CONNECTORS: 'northwind=http://adapter.northwind.example#0123456789abcdef0123' }).httpBankConnectors).toHaveLength(1);
  });

  it('refuses a malformed entry without quoting the token', () => {
    const env = { ...SANDBOX, HTTP_BANK_CONNECTORS: 'northwind=https://nw.example#short-secret' };
    expect(() => loadApiConfig(env)).toThrow('HTTP_BANK_CONNECTORS entries must look like name=https://host/path#token (token of at least 16 characters)');
    expect(() => loadApiConfig(env)).not.toThrow(/short-secret/);
  });

  it('refuses a name given twice, the built-in sandbox-ledger\'s, or a URL with a user and password, without quoting a secret', () => {
    // Until 7 December 2026 the last entry of a name silently took the other's (or the ledger's) accounts.
    const twice = { ...SANDBOX, HTTP_BANK_CONNECTORS: 'northwind=https://a.example#tokentokentoken1,northwind=https://b.example#tokentokentoken2' };
    expect(() => loadApiConfig(twice)).toThrow('HTTP_BANK_CONNECTORS northwind: a connector name must be unique and not the built-in sandbox-ledger');
    expect(() => loadApiConfig(twice)).not.toThrow(/tokentokentoken/);
    expect(() => loadApiConfig({ ...SANDBOX, HTTP_BANK_CONNECTORS: 'sandbox-ledger=https://evil.example#tokentokentoken1' })).toThrow(/sandbox-ledger: a connector name must be unique/);
    const userinfo = { ...SANDBOX, HTTP_BANK_CONNECTORS: 'northwind=https://svc:hunter2hunter2@nw.example#tokentokentoken1' };
    expect(() => loadApiConfig(userinfo)).toThrow('HTTP_BANK_CONNECTORS northwind: the URL must not carry a user or password (the token goes after #)');
    expect(() => loadApiConfig(userinfo)).not.toThrow(/hunter2/);
  });
});

describe('loadApiConfig: payment monitoring in production', () => {
  it('requires the rules file and the deny-list to be named: no sandbox default', () => {
    const production = PRODUCTION_BUT_RISK;
    // Until 7 December 2026 production ran the sandbox's rules, and an empty deny-list where the sandbox's path held no file.
    const required = "is required in production mode (the bank's payment-monitoring rules and deny-list: docs/monitoring.md)";
    expect(() => loadApiConfig(production)).toThrow(`RISK_RULES_FILE ${required}`);
    expect(() => loadApiConfig({ ...production, RISK_RULES_FILE: '/etc/consentry/risk/rules.yaml' })).toThrow(`RISK_DENY_LIST_FILE ${required}`);
    const named = loadApiConfig({ ...production, RISK_RULES_FILE: '/etc/consentry/risk/rules.yaml', RISK_DENY_LIST_FILE: '/etc/consentry/risk/deny-list.json' }).risk;
    expect(named).toMatchObject({ riskRulesFile: '/etc/consentry/risk/rules.yaml', riskDenyListFile: '/etc/consentry/risk/deny-list.json', riskDenyListRequired: true });
    expect(loadApiConfig(SANDBOX).risk).toMatchObject({ riskRulesFile: undefined, riskDenyListRequired: false });
  });
});
