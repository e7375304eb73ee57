import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { creditorPanContext, panContext } from '@consentry/banking';
import { SANDBOX_TRUST_ANCHOR } from '@consentry/config';
import { DataSource, EntityManager } from '@consentry/database';
import { AdminRole, generateTotpSecret, hashPassword, KeyManagement, totpSecretContext } from '@consentry/identity';
import { generateMessageSigningJwk, publicJwkOf, tppMessageIssuer, TppSigningProfile } from '@consentry/message-signing';
import { exportJWK, generateKeyPair, JWK } from 'jose';

import {
  SANDBOX_ADMIN_ROLES,
  SANDBOX_ADMIN_USERNAME,
  SANDBOX_REVIEWER_ROLES,
  SANDBOX_REVIEWER_USERNAME,
  SANDBOX_ASPSPS,
  SANDBOX_MERCHANTS,
  SANDBOX_PSUS,
  SANDBOX_TPP,
  SandboxAccountSeed,
} from './sandbox-data.js';

export interface SandboxPsuCredentials {
  username: string;
  password: string;
  totpSecret: string;
  displayName: string;
  /** Where the PSU's alert emails go (the sandbox's mail catcher takes any address). */
  email: string;
  accounts: Array<{ accountId: string; aspspId: string; nickname: string }>;
}

/** A sandbox PSU's email address, the same in its party record and for its alerts. */
function sandboxPsuEmail(username: string): string {
  return `${username}@sandbox.consentry.localhost`;
}

export interface SandboxTppCredentials {
  client_id: string;
  client_name: string;
  redirect_uris: string[];
  /** The PSD2 roles the TPP is registered with. */
  roles: string[];
  /** Its directory identity: `iss` of its message signatures is `{org_id}/{software_id}`. */
  org_id: string;
  software_id: string;
  token_endpoint_auth_method: 'private_key_jwt';
  token_endpoint_auth_signing_alg: 'ES256';
  /**
   * The TPP's private key set: only the sandbox TPP and the tests hold it. The first key (ES256)
   * authenticates the client (private_key_jwt); the key named by `signing.kid` (PS256) signs requests.
   */
  jwks: { keys: Array<Record<string, unknown>> };
  /** The JOSE header values of its request signatures (x-jws-signature). */
  signing: TppSigningProfile;
}

export interface SandboxAdminCredentials {
  username: string;
  password: string;
  totpSecret: string;
}

export interface SandboxCredentials {
  tpp: SandboxTppCredentials;
  psus: SandboxPsuCredentials[];
  admin: SandboxAdminCredentials;
  /** The second admin, for four-eyes payment reviews (REVIEW_FOUR_EYES); absent from data seeded before it existed. */
  reviewer?: SandboxAdminCredentials;
}

export interface SeedOptions {
  keys: KeyManagement;
  /** Transactions generated per account. */
  transactionsPerAccount?: number;
  /** Deterministic ledger for tests; random otherwise. */
  seed?: number;
}

function password(): string {
  return randomBytes(12).toString('base64url');
}

/** Small deterministic PRNG (mulberry32) so a seeded ledger looks the same every time. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function luhnComplete(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${partial}${(10 - (sum % 10)) % 10}`;
}


async function insertAccount(
  manager: EntityManager,
  keys: KeyManagement,
  psuId: string,
  holderName: string,
  account: SandboxAccountSeed,
  random: () => number,
  transactionsPerAccount: number,
  partyId: string,
): Promise<string> {
  const accountId = randomUUID();
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const isCard = account.accountTypeCode === 'CARD';
  const identification = isCard ? keys.encrypt(luhnComplete(`411111${digits(9)}`), panContext(accountId)) : `${digits(6)}${digits(8)}`;
  await manager.query(
    `INSERT INTO account (account_id, aspsp_id, psu_id, currency, account_category, account_type_code, description, nickname,
                          opening_date, scheme_name, identification, holder_name)
     VALUES ($1, $2, $3, $4, 'Personal', $5, $6, $7, $8, $9, $10, $11)`,
    [
      accountId,
      account.aspspId,
      psuId,
      account.currency,
      account.accountTypeCode,
      account.description,
      account.nickname,
      '2019-03-01',
      isCard ? 'UK.OBIE.PAN' : 'UK.OBIE.SortCodeAccountNumber',
      identification,
      holderName,
    ],
  );

  let balance = account.openingBalance;
  const now = Date.now();
  const ids: string[] = [];
  const rows: unknown[][] = [];
  // Running balance and totals by booking, for the statements below.
  const ledger: Array<{ booked: Date; balance: number; amount: number; direction: 'Credit' | 'Debit' }> = [];
  for (let i = 0; i < transactionsPerAccount; i++) {
    const [merchant, mcc, direction] = SANDBOX_MERCHANTS[Math.floor(random() * SANDBOX_MERCHANTS.length)]!;
    const amount = direction === 'Credit' ? Math.round(random() * 150000) / 100 + 50 : Math.round(random() * 9000) / 100 + 1;
    balance += direction === 'Credit' ? amount : -amount;
    const booked = new Date(now - (transactionsPerAccount - i) * 6 * 3600 * 1000 - Math.floor(random() * 3600 * 1000));
    const transactionId = randomUUID();
    ids.push(transactionId);
    ledger.push({ booked, balance, amount, direction });
    rows.push([
      transactionId,
      accountId,
      `REF${digits(8)}`,
      amount.toFixed(2),
      account.currency,
      direction,
      'BOOK',
      booked,
      booked,
      direction === 'Credit' ? `Payment from ${merchant}` : `Card payment to ${merchant}`,
      direction === 'Credit' ? 'ReceivedCreditTransfer' : 'IssuedDirectDebits',
      direction === 'Credit' ? 'DomesticCreditTransfer' : 'DirectDebitPayment',
      merchant,
      mcc,
      balance.toFixed(2),
    ]);
  }
  if (rows.length > 0) {
    const columns = rows[0]!.length;
    const placeholders = rows.map((_, r) => `(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(', ')})`);
    await manager.query(
      `INSERT INTO transaction (transaction_id, account_id, transaction_reference, amount, currency, credit_debit_indicator, status,
                                booking_date_time, value_date_time, transaction_information, bank_transaction_code,
                                bank_transaction_sub_code, merchant_name, merchant_category_code, balance_after_amount)
       VALUES ${placeholders.join(', ')}`,
      rows.flat(),
    );
  }
  const indicator = balance >= 0 ? 'Credit' : 'Debit';
  for (const type of ['InterimAvailable', 'InterimBooked']) {
    await manager.query(
      `INSERT INTO balance (account_id, type, amount, currency, credit_debit_indicator, date_time) VALUES ($1, $2, $3, $4, $5, now())`,
      [accountId, type, Math.abs(balance).toFixed(2), account.currency, indicator],
    );
  }
  await manager.query(`INSERT INTO account_party (account_id, party_id, account_role) VALUES ($1, $2, 'UK.OBIE.Principal')`, [accountId, partyId]);
  await insertStandingData(manager, keys, accountId, account, random, now);
  await insertStatements(manager, accountId, account, ledger, now);
  return accountId;
}

/** Payees, mandates, standing orders, a scheduled payment, the product and an offer of one account. */
async function insertStandingData(
  manager: EntityManager,
  keys: KeyManagement,
  accountId: string,
  account: SandboxAccountSeed,
  random: () => number,
  now: number,
): Promise<void> {
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 10)).join('');
  const day = 24 * 3600 * 1000;
  const cardBeneficiaryId = randomUUID();
  await manager.query(
    `INSERT INTO beneficiary (beneficiary_id, account_id, beneficiary_type, reference, creditor_agent_scheme_name, creditor_agent_identification,
                              creditor_scheme_name, creditor_identification, creditor_name)
     VALUES ($1, $2, 'Trusted', 'RENT', 'UK.OBIE.BICFI', 'NWBKGB2L', 'UK.OBIE.SortCodeAccountNumber', $3, 'Harbour Lettings'),
            ($4, $2, 'Ordinary', 'CARD REPAY', NULL, NULL, 'UK.OBIE.PAN', $5, 'Card repayment')`,
    [randomUUID(), accountId, `${digits(6)}${digits(8)}`, cardBeneficiaryId, keys.encrypt(luhnComplete(`545454${digits(9)}`), creditorPanContext(`beneficiary:${cardBeneficiaryId}`))],
  );
  if (account.accountTypeCode !== 'CARD') {
    await manager.query(
      `INSERT INTO direct_debit (direct_debit_id, account_id, status_code, mandate_identification, frequency, name, previous_payment_date_time,
                                 previous_payment_amount, currency)
       VALUES ($1, $2, 'ACTV', $3, 'MNTH', 'Power & Light Co', $4, $5, $6), ($7, $2, 'CANC', $8, 'YEAR', 'Streamly', NULL, NULL, $6)`,
      [randomUUID(), accountId, `DD${digits(8)}`, new Date(now - 12 * day), (Math.round(random() * 9000) / 100 + 20).toFixed(2), account.currency, randomUUID(), `DD${digits(8)}`],
    );
    await manager.query(
      `INSERT INTO standing_order (standing_order_id, account_id, status_code, frequency, reference, number_of_payments, first_payment_date_time,
                                   next_payment_date_time, last_payment_date_time, amount, currency, creditor_scheme_name, creditor_identification, creditor_name)
       VALUES ($1, $2, 'ACTV', 'MNTH', 'SAVINGS', NULL, $3, $4, $5, $6, $7, 'UK.OBIE.SortCodeAccountNumber', $8, 'Self savings')`,
      [randomUUID(), accountId, new Date(now - 200 * day), new Date(now + 18 * day), new Date(now - 12 * day), '150.00', account.currency, `${digits(6)}${digits(8)}`],
    );
    await manager.query(
      `INSERT INTO scheduled_payment (scheduled_payment_id, account_id, scheduled_payment_date_time, scheduled_type, reference, debtor_reference,
                                      amount, currency, creditor_scheme_name, creditor_identification, creditor_name)
       VALUES ($1, $2, $3, 'Execution', 'INVOICE 77', 'GARDEN', $4, $5, 'UK.OBIE.SortCodeAccountNumber', $6, 'Green Gardens Ltd')`,
      [randomUUID(), accountId, new Date(now + 9 * day), (Math.round(random() * 40000) / 100 + 10).toFixed(2), account.currency, `${digits(6)}${digits(8)}`],
    );
  }
  const productType = account.accountTypeCode === 'CACC' ? 'PersonalCurrentAccount' : 'Other';
  await manager.query(
    `INSERT INTO product (product_id, account_id, product_name, product_type, secondary_product_id, marketing_state_id) VALUES ($1, $2, $3, $4, NULL, $5)`,
    [randomUUID(), accountId, account.description, productType, 'Regular'],
  );
  await manager.query(
    `INSERT INTO offer (offer_id, account_id, offer_type, description, start_date_time, end_date_time, rate, term, url, amount, fee, currency)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'https://sandbox.consentry.localhost/offers', $9, $10, $11)`,
    account.accountTypeCode === 'CARD'
      ? [randomUUID(), accountId, 'BalanceTransfer', '0% on balance transfers for 18 months', new Date(now - 5 * day), new Date(now + 60 * day), '0.0000', '18 months', '3000.00', '30.00', account.currency]
      : [randomUUID(), accountId, 'LimitIncrease', 'Arranged overdraft up to 500', new Date(now - 5 * day), new Date(now + 60 * day), '0.3990', 'Until withdrawn', '500.00', null, account.currency],
  );
}

/** Two statements splitting the generated bookings, with balances and totals that add up. */
async function insertStatements(
  manager: EntityManager,
  accountId: string,
  account: SandboxAccountSeed,
  ledger: Array<{ booked: Date; balance: number; amount: number; direction: 'Credit' | 'Debit' }>,
  now: number,
): Promise<void> {
  if (ledger.length === 0) return;
  const middle = Math.ceil(ledger.length / 2);
  const periods = [ledger.slice(0, middle), ledger.slice(middle)].filter((p) => p.length > 0);
  let opening = account.openingBalance;
  let start = new Date(ledger[0]!.booked.getTime() - 3600 * 1000);
  for (const [index, period] of periods.entries()) {
    const last = period[period.length - 1]!;
    const next = index + 1 < periods.length ? periods[index + 1]![0]!.booked : new Date(now);
    // A period ends just before the next one's first booking, so each booking lies in exactly one statement.
    const end = new Date(Math.max(last.booked.getTime(), next.getTime() - 1000));
    const credits = period.filter((p) => p.direction === 'Credit').reduce((sum, p) => sum + p.amount, 0);
    const debits = period.filter((p) => p.direction === 'Debit').reduce((sum, p) => sum + p.amount, 0);
    await manager.query(
      `INSERT INTO statement (statement_id, account_id, statement_reference, type, start_date_time, end_date_time, creation_date_time, description,
                              opening_balance, closing_balance, total_credits, total_debits, currency)
       VALUES ($1, $2, $3, 'RegularPeriodic', $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [randomUUID(), accountId, `STMT-${index + 1}`, start, end, end, `Statement ${index + 1}`, opening.toFixed(2), last.balance.toFixed(2), credits.toFixed(2), debits.toFixed(2), account.currency],
    );
    opening = last.balance;
    start = new Date(end.getTime() + 1);
  }
}

/** An admin_user row for these credentials and roles: the password hashed, the TOTP seed encrypted to its row. */
async function insertAdmin(manager: EntityManager, keys: KeyManagement, credentials: SandboxAdminCredentials, roles: readonly AdminRole[]): Promise<void> {
  const [adminRow] = await manager.query(
    `INSERT INTO admin_user (username, password_hash, totp_secret_enc, roles) VALUES ($1, $2, 'pending', $3) RETURNING admin_id`,
    [credentials.username, await hashPassword(credentials.password), roles],
  );
  await manager.query(`UPDATE admin_user SET totp_secret_enc = $2 WHERE admin_id = $1`, [
    adminRow.admin_id,
    keys.encrypt(credentials.totpSecret, totpSecretContext('admin', adminRow.admin_id)),
  ]);
}

/**
 * Seeds the demo banks, PSUs (with accounts, balances and transactions), the sandbox TPP and two admins
 * (`admin` with every role, `reviewer` with `payment-reviewer` only), and returns their credentials.
 * Passwords and TOTP seeds are generated here and stored only hashed or encrypted; the TPP's private key
 * is returned, never stored in the database.
 */
export async function seedSandbox(dataSource: DataSource, options: SeedOptions): Promise<SandboxCredentials> {
  const random = prng(options.seed ?? Math.floor(Math.random() * 2 ** 31));
  const perAccount = options.transactionsPerAccount ?? 120;
  const credentials = await dataSource.transaction(async (manager) => {
    for (const aspsp of SANDBOX_ASPSPS) {
      await manager.query(`INSERT INTO aspsp (aspsp_id, name) VALUES ($1, $2)`, [aspsp.aspspId, aspsp.name]);
    }
    const psus: SandboxPsuCredentials[] = [];
    for (const seed of SANDBOX_PSUS) {
      const credentials = { password: password(), totpSecret: generateTotpSecret() };
      const [row] = await manager.query(
        `INSERT INTO psu (username, display_name, password_hash, totp_secret_enc, email) VALUES ($1, $2, $3, 'pending', $4) RETURNING psu_id`,
        [seed.username, seed.displayName, await hashPassword(credentials.password), sandboxPsuEmail(seed.username)],
      );
      const psuId = row.psu_id as string;
      await manager.query(`UPDATE psu SET totp_secret_enc = $2 WHERE psu_id = $1`, [
        psuId,
        options.keys.encrypt(credentials.totpSecret, totpSecretContext('psu', psuId)),
      ]);
      const partyId = randomUUID();
      await manager.query(
        `INSERT INTO party (party_id, psu_id, party_number, party_type, name, full_legal_name, email_address, mobile, street_name, building_number, post_code, town_name, country)
         VALUES ($1, $2, $3, 'Sole', $4, $4, $5, '+44-7700900123', 'High Street', '12', 'SW1A 1AA', 'London', 'GB')`,
        [partyId, psuId, `P${Math.floor(random() * 1e8)}`, seed.displayName, sandboxPsuEmail(seed.username)],
      );
      const accounts = [];
      for (const account of seed.accounts) {
        const accountId = await insertAccount(manager, options.keys, psuId, seed.displayName, account, random, perAccount, partyId);
        accounts.push({ accountId, aspspId: account.aspspId, nickname: account.nickname });
      }
      psus.push({ username: seed.username, displayName: seed.displayName, email: sandboxPsuEmail(seed.username), ...credentials, accounts });
    }

    const [admin, reviewer] = [
      { username: SANDBOX_ADMIN_USERNAME, password: password(), totpSecret: generateTotpSecret() },
      { username: SANDBOX_REVIEWER_USERNAME, password: password(), totpSecret: generateTotpSecret() },
    ];
    await insertAdmin(manager, options.keys, admin!, SANDBOX_ADMIN_ROLES);
    // The four-eyes reviewer decides reviews and nothing else (least privilege).
    await insertAdmin(manager, options.keys, reviewer!, SANDBOX_REVIEWER_ROLES);

    const tpp = await createSandboxTppKeys();
    await registerTpp(manager, tpp);
    return { tpp, psus, admin: admin!, reviewer: reviewer! };
  });
  // Statistics for the rows just loaded, as after any bulk load: until autovacuum gets to them the planner
  // would guess a handful of rows per account and sort whole histories to serve a page.
  await dataSource.query('ANALYZE account, balance, transaction, consent_account, account_access_consent, tpp');
  return credentials;
}

/** A fresh PS256 message-signing key and the JOSE header values a TPP of this identity signs with. */
async function messageSigningKey(orgId: string, softwareId: string): Promise<{ jwk: JWK; signing: TppSigningProfile }> {
  const jwk = await generateMessageSigningJwk();
  return { jwk, signing: { kid: jwk.kid!, iss: tppMessageIssuer(orgId, softwareId), tan: SANDBOX_TRUST_ANCHOR } };
}

/**
 * Generates a sandbox TPP's keys and client metadata (private JWKS kept by the caller): an ES256 key
 * for client authentication and a PS256 key for message signing. Its software id is its client id.
 */
export async function createSandboxTppKeys(
  clientId: string = SANDBOX_TPP.clientId,
  name: string = SANDBOX_TPP.name,
  redirectUri: string = SANDBOX_TPP.redirectUri,
  roles: readonly string[] = SANDBOX_TPP.roles,
): Promise<SandboxTppCredentials> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const { jwk: signingJwk, signing } = await messageSigningKey(SANDBOX_TPP.organisationId, clientId);
  return {
    client_id: clientId,
    client_name: name,
    redirect_uris: [redirectUri],
    roles: [...roles],
    org_id: SANDBOX_TPP.organisationId,
    software_id: clientId,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [{ ...jwk, kid: `${clientId}-1`, alg: 'ES256', use: 'sig' }, { ...signingJwk }] },
    signing,
  };
}

/** The public client metadata of a sandbox TPP, as the tpp row holds it (no private key part). */
function clientMetadataOf(tpp: SandboxTppCredentials): Record<string, unknown> {
  const roles = tpp.roles;
  const scopes = ['openid', ...(roles.includes('AISP') ? ['accounts'] : []), ...(roles.includes('PISP') ? ['payments'] : []), ...(roles.includes('CBPII') ? ['fundsconfirmations'] : [])];
  return {
    client_id: tpp.client_id,
    client_name: tpp.client_name,
    redirect_uris: tpp.redirect_uris,
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: tpp.token_endpoint_auth_method,
    token_endpoint_auth_signing_alg: tpp.token_endpoint_auth_signing_alg,
    scope: scopes.join(' '),
    jwks: { keys: tpp.jwks.keys.map((key) => publicJwkOf(key as JWK)) },
    software_id: tpp.software_id,
    org_id: tpp.org_id,
  };
}

/**
 * Stores a TPP and its public client metadata (the private key parts are stripped here), with its own
 * roles or those given.
 */
export async function registerTpp(manager: EntityManager, tpp: SandboxTppCredentials, roles: readonly string[] = tpp.roles): Promise<void> {
  const registered = { ...tpp, roles: [...roles] };
  await manager.query(`INSERT INTO tpp (client_id, name, roles, client_metadata) VALUES ($1, $2, $3, $4)`, [
    registered.client_id,
    registered.client_name,
    registered.roles,
    JSON.stringify(clientMetadataOf(registered)),
  ]);
}

/**
 * Brings the sandbox TPP of an existing `.data` up to date in place, without reseeding: the roles AISP,
 * PISP and CBPII, its directory identity, and a PS256 message-signing key with its `signing` values,
 * written to the credentials file and (public half) to its row. Returns whether anything changed; a
 * TPP already up to date is left exactly as it is.
 */
export async function upgradeSandboxTpp(dataSource: DataSource, dataDir: string, tpp: SandboxTppCredentials): Promise<{ tpp: SandboxTppCredentials; upgraded: boolean }> {
  const stored = tpp as Partial<SandboxTppCredentials> & Pick<SandboxTppCredentials, 'client_id' | 'client_name' | 'redirect_uris' | 'jwks' | 'token_endpoint_auth_method' | 'token_endpoint_auth_signing_alg'>;
  const roles = [...new Set([...(stored.roles ?? []), ...SANDBOX_TPP.roles])];
  const hasSigningKey = stored.signing !== undefined && stored.jwks.keys.some((key) => key.kid === stored.signing!.kid);
  if (hasSigningKey && stored.org_id && stored.software_id && roles.length === stored.roles?.length) return { tpp, upgraded: false };
  const orgId = stored.org_id ?? SANDBOX_TPP.organisationId;
  const softwareId = stored.software_id ?? stored.client_id;
  const upgraded: SandboxTppCredentials = { ...stored, roles, org_id: orgId, software_id: softwareId, jwks: stored.jwks, signing: stored.signing! };
  if (!hasSigningKey) {
    const { jwk, signing } = await messageSigningKey(orgId, softwareId);
    upgraded.jwks = { keys: [...stored.jwks.keys, { ...jwk }] };
    upgraded.signing = signing;
  }
  // The row first: a failure leaves the file as it was, and the next start tries again.
  await dataSource.query(`UPDATE tpp SET roles = $2, client_metadata = client_metadata || $3::jsonb WHERE client_id = $1`, [
    upgraded.client_id,
    roles,
    JSON.stringify(clientMetadataOf(upgraded)),
  ]);
  await writeFile(sandboxFiles(dataDir).tpp, `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o600 });
  return { tpp: upgraded, upgraded: true };
}

/** What `upgradeSandboxMonitoring` did to an existing `.data`. */
export interface SandboxMonitoringUpgrade {
  /** The credentials as they now are on disk (with the reviewer, and the PSUs' `email`). */
  credentials: SandboxCredentials;
  /** One line per thing brought up to date; empty when the sandbox already was. */
  upgraded: string[];
  /** One line per thing left as it was because it cannot be repaired in place. */
  skipped: string[];
}

/**
 * Brings a sandbox seeded before payment monitoring and PSU alerts up to date in place, without
 * reseeding: writes `deny-list.json` with the seeded mule account, creates the reviewer admin (row with
 * `payment-reviewer` only, and `reviewer.json`), and gives each PSU in `psus.json` an `email` (and its
 * row, where it has none). Only what is missing is added: an existing file, entry, field or row is never
 * changed, so a second run changes nothing (admins seeded before roles keep every role the migration
 * gave them).
 */
export async function upgradeSandboxMonitoring(
  dataSource: DataSource,
  dataDir: string,
  credentials: SandboxCredentials,
  options: Pick<SeedOptions, 'keys'>,
): Promise<SandboxMonitoringUpgrade> {
  const files = sandboxFiles(dataDir);
  const upgraded: string[] = [];
  const skipped: string[] = [];

  // A missing deny-list reads as an empty one, and the sandbox's reject rule would never fire. `wx`: a
  // list the bank has edited (even to `[]`) stays as it is.
  if (await seedDenyList(files.denyList)) upgraded.push(`wrote ${files.denyList} with the sandbox's deny-listed creditor`);

  let reviewer = credentials.reviewer;
  const reviewerUsername = reviewer?.username ?? SANDBOX_REVIEWER_USERNAME;
  const reviewerRows: unknown[] = await dataSource.query(`SELECT 1 FROM admin_user WHERE username = $1`, [reviewerUsername]);
  const reviewerUsable = reviewer !== undefined && [reviewer.username, reviewer.password, reviewer.totpSecret].every((value) => typeof value === 'string');
  if (reviewerRows.length === 0 && reviewer && !reviewerUsable) {
    skipped.push(`${files.reviewer} lacks a username, password or totpSecret: no admin created from it`);
  } else if (reviewerRows.length === 0 && reviewer) {
    // reviewer.json without its row (a start that stopped between the two): the row from the file.
    await dataSource.transaction((manager) => insertAdmin(manager, options.keys, reviewer!, SANDBOX_REVIEWER_ROLES));
    upgraded.push(`created the admin '${reviewerUsername}' from ${files.reviewer}`);
  } else if (reviewerRows.length === 0) {
    const created = { username: SANDBOX_REVIEWER_USERNAME, password: password(), totpSecret: generateTotpSecret() };
    await dataSource.transaction(async (manager) => {
      await insertAdmin(manager, options.keys, created, SANDBOX_REVIEWER_ROLES);
      // Inside the transaction: a file that cannot be written leaves no row whose password nobody knows.
      await writeFile(files.reviewer, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    });
    reviewer = created;
    upgraded.push(`created the admin '${created.username}' (four-eyes reviews) and wrote ${files.reviewer}`);
  } else if (!reviewer) {
    // Its password is only hashed in the row: it cannot be written back, and resetting it would change it.
    skipped.push(`the admin '${reviewerUsername}' exists but ${files.reviewer} is missing: four-eyes reviews need a second admin you can sign in as`);
  }

  // A .data from before alerts: entries without `email` (JSON has no undefined, so absent is missing).
  const psus: SandboxPsuCredentials[] = [];
  const withEmail: string[] = [];
  for (const psu of credentials.psus as Array<Omit<SandboxPsuCredentials, 'email'> & { email?: string }>) {
    if (psu.email !== undefined || typeof psu.username !== 'string') {
      psus.push(psu as SandboxPsuCredentials);
      continue;
    }
    // An address already in the row is the one alerts go to: the file shows it rather than a new one.
    const [row]: Array<{ email: string }> = await dataSource.query(
      `WITH filled AS (UPDATE psu SET email = $2 WHERE username = $1 AND email IS NULL RETURNING email)
       SELECT email FROM filled UNION ALL SELECT email FROM psu WHERE username = $1 AND email IS NOT NULL`,
      [psu.username, sandboxPsuEmail(psu.username)],
    );
    if (!row) {
      skipped.push(`the PSU '${psu.username}' of ${files.psus} is not in the database: no email added`);
      psus.push(psu as SandboxPsuCredentials);
      continue;
    }
    const { username, displayName, ...rest } = psu;
    psus.push({ username, displayName, email: row.email, ...rest });
    withEmail.push(username);
  }
  if (withEmail.length > 0) {
    // The rows first: a failure leaves the file as it was, and the next start tries again.
    await writeFile(files.psus, `${JSON.stringify(psus, null, 2)}\n`, { mode: 0o600 });
    upgraded.push(`gave ${withEmail.join(', ')} an email in ${files.psus}`);
  }

  return { credentials: { ...credentials, psus, ...(reviewer ? { reviewer } : {}) }, upgraded, skipped };
}

export interface SandboxFiles {
  dir: string;
  tpp: string;
  psus: string;
  admin: string;
  /** The second admin (four-eyes reviews), same shape as admin.json. */
  reviewer: string;
  /** The payment-monitoring deny-list (mule accounts), RISK_DENY_LIST_FILE's default. */
  denyList: string;
}

/** The sandbox's one deny-listed creditor: a payment to it is rejected (FR01) by the default rules. */
export const SANDBOX_DENY_LISTED_CREDITOR = { SchemeName: 'UK.OBIE.SortCodeAccountNumber', Identification: '60000099999999' } as const;

export function sandboxFiles(dataDir: string): SandboxFiles {
  const dir = join(dataDir, 'sandbox');
  return { dir, tpp: join(dir, 'tpp.json'), psus: join(dir, 'psus.json'), admin: join(dir, 'admin.json'), reviewer: join(dir, 'reviewer.json'), denyList: join(dir, 'deny-list.json') };
}

export async function writeSandboxCredentials(dataDir: string, credentials: SandboxCredentials): Promise<SandboxFiles> {
  const files = sandboxFiles(dataDir);
  await mkdir(files.dir, { recursive: true, mode: 0o700 });
  const write = (path: string, value: unknown) => writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await write(files.tpp, credentials.tpp);
  await write(files.psus, credentials.psus);
  await write(files.admin, credentials.admin);
  if (credentials.reviewer) await write(files.reviewer, credentials.reviewer);
  await seedDenyList(files.denyList);
  return files;
}

/** Writes the deny-list with the sandbox's mule account unless the file exists; whether it wrote it. */
async function seedDenyList(file: string): Promise<boolean> {
  // The bank edits its deny-list: seeded once, never overwritten.
  return writeFile(file, `${JSON.stringify([SANDBOX_DENY_LISTED_CREDITOR], null, 2)}\n`, { flag: 'wx' }).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') return false;
      throw error;
    },
  );
}

export async function readSandboxCredentials(dataDir: string): Promise<SandboxCredentials | null> {
  const files = sandboxFiles(dataDir);
  try {
    const [tpp, psus, admin] = await Promise.all([files.tpp, files.psus, files.admin].map((f) => readFile(f, 'utf8')));
    const reviewer = await readFile(files.reviewer, 'utf8').catch(() => undefined);
    return { tpp: JSON.parse(tpp!), psus: JSON.parse(psus!), admin: JSON.parse(admin!), ...(reviewer ? { reviewer: JSON.parse(reviewer) } : {}) };
  } catch {
    return null;
  }
}

/** Whether this database already holds the sandbox. */
export async function isSandboxSeeded(dataSource: DataSource): Promise<boolean> {
  const rows: unknown[] = await dataSource.query(`SELECT 1 FROM tpp WHERE client_id = $1`, [SANDBOX_TPP.clientId]);
  return rows.length > 0;
}
