import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { AppConfig } from '../config/app-config.js';
import { REDIS_PUB, REDIS_SUB } from '../redis/redis.module.js';

/** Larger frames are refused by the transport before any handler sees them. */
export const MAX_FRAME_BYTES = 64 * 1024;

/**
 * Socket.IO with the Redis adapter, so an emit on one instance reaches
 * sockets on all of them. Origins are checked at the handshake against the
 * same allow-list as HTTP. The Redis connections belong to RedisModule, which
 * opens them before the app listens and closes them at shutdown.
 */
export class RedisIoAdapter extends IoAdapter {
  constructor(private readonly app: INestApplication) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const config = this.app.get(AppConfig);
    const server: Server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: MAX_FRAME_BYTES,
      cors: { origin: (origin, done) => done(null, config.isOriginAllowed(origin)) },
      allowRequest: (request, done) => done(null, config.isOriginAllowed(request.headers.origin)),
    } as ServerOptions);
    const pub = this.app.get<Redis | null>(REDIS_PUB);
    const sub = this.app.get<Redis | null>(REDIS_SUB);
    if (pub && sub) {
      server.adapter(createAdapter(pub, sub));
    } // else: Socket.IO's in-memory adapter, for the single-instance mode
    return server;
  }
}
