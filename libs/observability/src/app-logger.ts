import { createRequire } from 'node:module';

import { redactForAudit } from '@consentry/redaction';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type PinoPretty from 'pino-pretty';

// Loaded only for LOG_FORMAT=pretty: production processes never pay for it.
const requirePretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export type LogFormat = 'json' | 'pretty';
export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';

export interface AppLoggerOptions {
  /** The app's name, on every line (`api`, `auth-server`, `worker`). */
  app: string;
  level: LogLevelName;
  format: LogFormat;
  /** Where lines go; stdout by default (tests pass a stream to read them back). */
  destination?: DestinationStream;
}

// Nest's start-up chatter (modules loaded, every route mapped): useful when debugging start-up, noise
// otherwise, so it is written at debug level.
const BOOTSTRAP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

const INFO = 30;

/** Errors as plain objects (type, message, stack, cause) before redaction, which sees only enumerable fields. */
function withSerializedErrors(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) out[key] = value instanceof Error ? pino.stdSerializers.err(value) : value;
  return out;
}

function errorOf(value: unknown): Error | undefined {
  if (value instanceof Error) return value;
  const nested = typeof value === 'object' && value !== null ? (value as { err?: unknown }).err : undefined;
  return nested instanceof Error ? nested : undefined;
}

function isBootstrapChatter(args: unknown[]): boolean {
  const first = args[0];
  return typeof first === 'object' && first !== null && BOOTSTRAP_CONTEXTS.has(String((first as { context?: unknown }).context));
}

/**
 * The app's root logger. Every line's fields and message pass through `redactForAudit`, the function the
 * audit log uses: one masking rule for both (secrets dropped, account numbers to their last four, card
 * numbers to six and four, JWTs removed from text).
 */
export function createAppLogger(options: AppLoggerOptions): Logger {
  const settings: LoggerOptions = {
    level: options.level,
    base: { app: options.app },
    timestamp: pino.stdTimeFunctions.isoTime,
    messageKey: 'msg',
    // Errors are serialized before redaction (formatters.log); pino's own err serializer would redo it.
    serializers: { err: (value: unknown) => value },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redactForAudit(withSerializedErrors(object)),
      bindings: (bindings) => redactForAudit(bindings),
    },
    hooks: {
      logMethod(args, method, level) {
        if (level === INFO && isBootstrapChatter(args)) {
          this.debug(...(args as [object, string]));
          return;
        }
        // Messages and their interpolation values: free text, scanned for tokens and numbers.
        const redacted = args.map((arg) => (typeof arg === 'string' ? redactForAudit(arg) : arg));
        // Without a message pino takes the error's own, past every formatter: give it the masked one.
        const error = errorOf(args[0]);
        if (error && redacted.length === 1) redacted.push(redactForAudit(error.message));
        method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
  // Synchronous writes: a line logged just before process.exit is not lost.
  const destination =
    options.format === 'pretty'
      ? requirePretty()({
          destination: options.destination ?? 1,
          sync: true,
          colorize: options.destination === undefined && Boolean(process.stdout.isTTY),
          singleLine: true,
          translateTime: 'SYS:HH:MM:ss',
          // The app's name is left to whoever runs several (npm start prefixes each line with it).
          ignore: 'pid,hostname,app,context',
          messageFormat: '{if context}[{context}] {end}{msg}',
        })
      : (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(settings, destination);
}
