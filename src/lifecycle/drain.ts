import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { withTimeout } from '../common/with-timeout.js';
import { AppConfig } from '../config/app-config.js';

/**
 * Graceful shutdown. On SIGTERM the instance turns not-ready (the load
 * balancer stops sending it work), refuses new actions, and waits up to
 * SHUTDOWN_TIMEOUT_MS for the actions already in flight to commit and
 * answer; only then are sockets, HTTP, Redis and Postgres closed.
 */
@Injectable()
export class Drain implements BeforeApplicationShutdown {
  private readonly logger = new Logger(Drain.name);
  private inFlight = 0;
  private onIdle: (() => void) | null = null;
  private drained: Promise<void> | null = null;

  constructor(private readonly config: AppConfig) {}

  get isDraining(): boolean {
    return this.drained !== null;
  }

  /** Runs work that shutdown must wait for. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) {
        this.onIdle?.();
      }
    }
  }

  /** Starts draining (once) and resolves when the work in flight is done or the time is up. */
  untilDrained(): Promise<void> {
    this.drained ??= this.waitForWorkInFlight();
    return this.drained;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.untilDrained();
  }

  private async waitForWorkInFlight(): Promise<void> {
    if (this.inFlight === 0) {
      return;
    }
    this.logger.log(`waiting for ${this.inFlight} action(s) in flight`);
    const idle = new Promise<'idle'>((resolve) => (this.onIdle = () => resolve('idle')));
    const outcome = await withTimeout(idle, this.config.shutdownTimeoutMs, () => 'timeout' as const);
    if (outcome === 'timeout') {
      this.logger.warn(`shutting down with ${this.inFlight} action(s) still in flight`);
    }
  }
}
