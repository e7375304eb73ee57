/** The AuthServerConfig the server was started with. */
export const AUTH_SERVER_CONFIG = Symbol('AUTH_SERVER_CONFIG');

/** The app's TypeORM DataSource (opened and migration-checked in bootstrap). */
export const DATA_SOURCE = Symbol('DATA_SOURCE');
