import { Writable } from 'node:stream';

import { redactForAudit } from '@consentry/redaction';
import { describe, expect, it } from 'vitest';

import { createAppLogger, LogFormat, LogLevelName } from './app-logger.js';
import { createNestLogger } from './nest-logger.js';

/** A logger writing into memory, and the lines it wrote. */
function capture(level: LogLevelName = 'info', format: LogFormat = 'json') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createAppLogger({ app: 'api', level, format, destination }), lines };
}

const JWT = 'eyJhbGciOiJQUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const ACCOUNT_NUMBER = '40400212345678';

describe('createAppLogger', () => {
  it('writes one JSON object a line with its level, time, app and message', () => {
    const { logger, lines } = capture();
    logger.info({ route: '/accounts/:AccountId' }, 'served');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'info', app: 'api', route: '/accounts/:AccountId', msg: 'served' });
    expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
  });

  it("masks fields and messages with the audit log's redaction", () => {
    const { logger, lines } = capture();
    const fields = { password: 'correct horse', accessToken: JWT, account: { identification: ACCOUNT_NUMBER }, clientId: 'sandbox-tpp' };
    logger.warn(fields, `token ${JWT} refused for account ${ACCOUNT_NUMBER}`);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    const { password, accessToken, account, clientId } = redactForAudit(fields);
    expect(entry).toMatchObject({ password, accessToken, account, clientId });
    expect(entry.account).toEqual({ identification: '**********5678' });
    expect(entry.msg).toBe('token [REDACTED] refused for account **********5678');
    expect(lines[0]).not.toContain('correct horse');
    expect(lines[0]).not.toContain(JWT);
    expect(lines[0]).not.toContain(ACCOUNT_NUMBER);
  });

  it("writes Nest's start-up chatter (modules, route mappings) at debug level", () => {
    const quiet = capture('info');
    createNestLogger(quiet.logger).log('Mapped {/accounts, GET} route', 'RouterExplorer');
    createNestLogger(quiet.logger).log('worker started', 'Worker');
    expect(quiet.lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['worker started']);

    const verbose = capture('debug');
    createNestLogger(verbose.logger).log('Mapped {/accounts, GET} route', 'RouterExplorer');
    expect(JSON.parse(verbose.lines[0]!)).toMatchObject({ level: 'debug', context: 'RouterExplorer', msg: 'Mapped {/accounts, GET} route' });
  });

  it('logs Nest errors with their context and stack, masked', () => {
    const { logger, lines } = capture();
    createNestLogger(logger).error(`introspection failed for ${JWT}`, `Error: bad token ${JWT}\n    at verify (verifier.js:1:2)`, 'AccessTokenVerifier');
    expect(JSON.parse(lines[0]!)).toEqual(expect.objectContaining({
      level: 'error',
      context: 'AccessTokenVerifier',
      msg: 'introspection failed for [REDACTED]',
      stack: 'Error: bad token [REDACTED]\n    at verify (verifier.js:1:2)',
    }));
    expect(lines[0]).not.toContain(JWT);
  });

  it('masks the message pino takes from an error logged on its own', () => {
    const { logger, lines } = capture();
    logger.error(new Error(`refused ${JWT}`));
    const entry = JSON.parse(lines[0]!) as { msg: string; err: { message: string; type: string } };
    expect(entry.msg).toBe('refused [REDACTED]');
    expect(entry.err).toMatchObject({ type: 'Error', message: 'refused [REDACTED]' });
    expect(lines[0]).not.toContain(JWT);
  });

  it("puts the fields of a Nest call's object on the line, masked", () => {
    const { logger, lines } = capture();
    createNestLogger(logger).error('chain batch failed', { jobId: '42', error: `token ${JWT} expired`, retried: true }, 'AuditProcessor');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', context: 'AuditProcessor', msg: 'chain batch failed', jobId: '42', error: 'token [REDACTED] expired', retried: true });
  });

  it('writes a readable line, masked the same way, when LOG_FORMAT is pretty', () => {
    const { logger, lines } = capture('info', 'pretty');
    createNestLogger(logger).warn(`refused ${JWT}`, 'Worker');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: \[Worker\] refused \[REDACTED\]$/);
  });
});
