import type { LoggerService } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
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

/** Nest's logger for an app, writing through nestjs-pino to the app's root logger (`createAppLogger`). */
export function createNestLogger(root: Pino): LoggerService {
  return new Logger(new AppPinoLogger(root), {});
}
