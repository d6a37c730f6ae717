import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AppConfig } from './app-config.js';
import { validateEnv } from './env.js';

@Global()
@Module({})
export class AppConfigModule {
  /**
   * `overrides` win over `process.env`; tests use them to run several
   * instances with different settings in one process.
   */
  static forRoot(overrides: Record<string, string> = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          // Only the validated values count: an unset optional variable must
          // stay unset, not fall back to whatever process.env holds.
          skipProcessEnv: true,
          validate: (raw) => validateEnv({ ...raw, ...overrides }),
        }),
      ],
      providers: [AppConfig],
      exports: [AppConfig],
    };
  }
}
