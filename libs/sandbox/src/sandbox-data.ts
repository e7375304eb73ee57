import { ADMIN_ROLES, AdminRole } from '@consentry/identity';
import { SANDBOX_ORGANISATION_ID } from '@consentry/message-signing';

/** The demo banks, customers and accounts every sandbox starts with. */
export interface SandboxAccountSeed {
  aspspId: string;
  accountTypeCode: 'CACC' | 'SVGS' | 'CARD';
  nickname: string;
  description: string;
  currency: string;
  openingBalance: number;
}

export interface SandboxPsuSeed {
  username: string;
  displayName: string;
  accounts: SandboxAccountSeed[];
}

export const SANDBOX_ASPSPS = [
  { aspspId: 'consentry-bank-north', name: 'Northwind Bank' },
  { aspspId: 'consentry-bank-south', name: 'Southbridge Building Society' },
] as const;

export const SANDBOX_PSUS: SandboxPsuSeed[] = [
  {
    username: 'alice',
    displayName: 'Alice Walker',
    accounts: [
      { aspspId: 'consentry-bank-north', accountTypeCode: 'CACC', nickname: 'Everyday', description: 'Current account', currency: 'GBP', openingBalance: 2450.12 },
      { aspspId: 'consentry-bank-north', accountTypeCode: 'SVGS', nickname: 'Rainy day', description: 'Instant saver', currency: 'GBP', openingBalance: 8200 },
      { aspspId: 'consentry-bank-south', accountTypeCode: 'CACC', nickname: 'Joint bills', description: 'Current account', currency: 'GBP', openingBalance: 910.4 },
    ],
  },
  {
    username: 'bob',
    displayName: 'Bob Okafor',
    accounts: [
      { aspspId: 'consentry-bank-south', accountTypeCode: 'CACC', nickname: 'Main', description: 'Current account', currency: 'GBP', openingBalance: 1320.55 },
      { aspspId: 'consentry-bank-north', accountTypeCode: 'CARD', nickname: 'Credit card', description: 'Credit card', currency: 'GBP', openingBalance: 0 },
    ],
  },
  {
    username: 'carol',
    displayName: 'Carol Jensen',
    accounts: [
      { aspspId: 'consentry-bank-north', accountTypeCode: 'CACC', nickname: 'Salary', description: 'Current account', currency: 'GBP', openingBalance: 5100 },
      { aspspId: 'consentry-bank-south', accountTypeCode: 'SVGS', nickname: 'House deposit', description: 'Fixed saver', currency: 'EUR', openingBalance: 15000 },
    ],
  },
];

export const SANDBOX_TPP = {
  clientId: 'sandbox-tpp',
  name: 'Sandbox Budgeting App',
  roles: ['AISP', 'PISP', 'CBPII'] as const,
  redirectUri: 'https://sandbox-tpp.localhost/callback',
  /** Its organisation in the sandbox directory: with the software id, the `iss` of its message signatures. */
  organisationId: SANDBOX_ORGANISATION_ID,
};

export const SANDBOX_ADMIN_USERNAME = 'admin';
/** The second sandbox admin, who confirms a release under four-eyes review. */
export const SANDBOX_REVIEWER_USERNAME = 'reviewer';
/** The sandbox admins' roles: the first holds every one, the reviewer only what four-eyes reviews need. */
export const SANDBOX_ADMIN_ROLES: readonly AdminRole[] = ADMIN_ROLES;
export const SANDBOX_REVIEWER_ROLES: readonly AdminRole[] = ['payment-reviewer'];

/** Merchants the generated transactions draw from (name, ISO 18245 MCC, direction). */
export const SANDBOX_MERCHANTS: Array<[string, string, 'Debit' | 'Credit']> = [
  ['Green Grocer', '5411', 'Debit'],
  ['City Transport', '4111', 'Debit'],
  ['Corner Cafe', '5814', 'Debit'],
  ['Power & Light Co', '4900', 'Debit'],
  ['Book Nook', '5942', 'Debit'],
  ['Fuel Stop', '5541', 'Debit'],
  ['Streamly', '4899', 'Debit'],
  ['Acme Payroll', '0000', 'Credit'],
  ['Refund Desk', '5311', 'Credit'],
];
