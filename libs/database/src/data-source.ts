import { DataSource, DataSourceOptions } from 'typeorm';

import { InitialSchema1764000000000 } from '../migrations/1764000000000-initial-schema.js';
import { AccountAccessConsentEntity } from './entities/account-access-consent.entity.js';
import { AccountEntity } from './entities/account.entity.js';
import { AdminUserEntity } from './entities/admin-user.entity.js';
import { AspspEntity } from './entities/aspsp.entity.js';
import { AuditLogEntity } from './entities/audit-log.entity.js';
import { AuditOutboxEntity } from './entities/audit-outbox.entity.js';
import { BalanceEntity } from './entities/balance.entity.js';
import { ConsentAccountEntity } from './entities/consent-account.entity.js';
import { OidcModelEntity } from './entities/oidc-model.entity.js';
import { PsuEntity } from './entities/psu.entity.js';
import { TppEntity } from './entities/tpp.entity.js';
import { TransactionEntity } from './entities/transaction.entity.js';

export const ENTITIES = [
  AspspEntity,
  PsuEntity,
  AdminUserEntity,
  AccountEntity,
  BalanceEntity,
  TransactionEntity,
  TppEntity,
  AccountAccessConsentEntity,
  ConsentAccountEntity,
  OidcModelEntity,
  AuditOutboxEntity,
  AuditLogEntity,
];

/** Hand-reviewed migrations, in order. The schema never comes from `synchronize`. */
export const MIGRATIONS = [InitialSchema1764000000000];

export interface DatabaseOptions {
  url: string;
  /** Pool size per process. */
  poolSize?: number;
  applicationName?: string;
}

export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: options.poolSize ?? 10,
      application_name: options.applicationName ?? 'consentry',
      // A stuck statement must not hold a request forever.
      statement_timeout: 15_000,
      connectionTimeoutMillis: 5_000,
    },
  };
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
