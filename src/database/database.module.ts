import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions, runMigrationsLocked } from './data-source.js';
import { PostgresPools } from './postgres-pools.js';

/** The connection (Postgres or embedded, as DATABASE_URL says), migrated before anything uses it. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, PostgresPools],
      useFactory: (config: AppConfig, pools: PostgresPools) =>
        dataSourceOptions({
          url: config.databaseUrl,
          dataDir: config.dataDir,
          poolSize: config.databasePoolSize,
          pg: pools.driver(),
        }),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        await runMigrationsLocked(dataSource);
        return dataSource;
      },
    }),
  ],
  providers: [PostgresPools],
  exports: [PostgresPools],
})
export class DatabaseModule {}
