import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { Drain } from './drain.js';

/** Lets shutdown wait for HTTP requests in flight (the gateway tracks socket actions itself). */
@Injectable()
export class DrainInterceptor implements NestInterceptor {
  constructor(private readonly drain: Drain) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    return from(this.drain.track(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
