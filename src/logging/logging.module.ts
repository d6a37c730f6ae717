import {
  Inject,
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { HttpLogger } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';
import { createLogging, type LogOutput } from './logging.js';

const REQUEST_LOGGING = Symbol('REQUEST_LOGGING');

/** nestjs-pino for Nest's logger, and pino-http in front of every route (logging.ts says why apart). */
@Module({})
export class LoggingModule implements NestModule {
  static forRoot(config: AppConfig, output: LogOutput = {}): DynamicModule {
    const { moduleParams, requestLogging } = createLogging(config, output);
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot(moduleParams)],
      providers: [{ provide: REQUEST_LOGGING, useValue: requestLogging }],
    };
  }

  constructor(@Inject(REQUEST_LOGGING) private readonly requestLogging: HttpLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    // nestjs-pino's own route for "everything" under Nest 12's path syntax.
    consumer.apply(this.requestLogging).forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}
