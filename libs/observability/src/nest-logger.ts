import type { LoggerService } from '@nestjs/common';
import { NativeLogger, PinoLogger } from 'nestjs-pino';
import type { Logger as Pino } from 'pino';

/**
 * nestjs-pino's PinoLogger bound to one app's root logger. nestjs-pino keeps one root per process (the
 * first app to start); tests run several apps in one process, so each keeps its own here.
 */
class AppPinoLogger extends PinoLogger {
  constructor(private readonly root: Pino) {
    super({ pinoHttp: { logger: root, autoLogging: false } });
  }

  override get logger(): Pino {
    return this.root;
  }
}

/**
 * Nest's logger for an app, writing through nestjs-pino to the app's root logger (`createAppLogger`).
 * It takes Nest's ConsoleLogger calls as they are written: `logger.error('chain batch failed', { jobId })`
 * puts `jobId` on the line, a stack trace goes to `err`.
 */
export function createNestLogger(root: Pino): LoggerService {
  return new NativeLogger(new AppPinoLogger(root), { nativeLogger: { structuredParams: true, flattenParams: true } });
}
