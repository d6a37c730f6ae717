import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Drain } from './drain.js';
import { DrainInterceptor } from './drain.interceptor.js';

@Global()
@Module({
  providers: [Drain, { provide: APP_INTERCEPTOR, useClass: DrainInterceptor }],
  exports: [Drain],
})
export class LifecycleModule {}
