import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ChatError } from '../common/chat-error.js';
import { Drain } from './drain.js';

/**
 * Lets shutdown wait for HTTP requests in flight, and refuses new ones once
 * it has begun (503, as /health/ready already says). The gateway does the
 * same for socket actions.
 */
@Injectable()
export class DrainInterceptor implements NestInterceptor {
  constructor(private readonly drain: Drain) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.drain.isDraining) {
      throw ChatError.unavailable('This instance is shutting down; retry');
    }
    return from(this.drain.track(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
