import pg from 'pg';

/**
 * The pool's client class. pg emits 'error' on a client whose connection the server ends (a restart,
 * a crash, "the database system is shutting down" while it connects); pg-pool listens only while the
 * client is idle, and TypeORM only while a query runner holds it, so an error arriving in between (a
 * client just released with an error, or a second error after the first) had no listener and Node
 * ended the process: the worker died in the PostgreSQL restart drill. Every such error also fails the
 * query or connect it belongs to, so this listener only keeps the process alive; the pool drops the
 * broken client and connects a new one.
 */
export class ResilientPgClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.on('error', () => undefined);
  }
}
